/**
 * Candidate search: which kernel types a local type may correspond to. A candidate has
 * the same essential name (flavor suffix ignored) and a compatible kind. Like libbpf
 * (bpf_core_find_cands), vmlinux is searched first and module BTFs only when vmlinux has
 * no candidate at all; a module contributes its own types, not the vmlinux base it extends.
 */
import type { Btf, BtfType } from '../btf';
import { RelocFailure } from './failure';
import { kindsCompatible } from './kinds';
import { essentialName } from './names';

/** A target type that may match a local one. */
export interface Candidate {
  btf: Btf;
  id: number;
}

/**
 * Per target BTF: flavored names (`x___y`) grouped by essential name. The name index of
 * Btf answers exact names only; flavored kernel types exist (vmlinux has `nf_conn___init`),
 * so they are found once by one pass over the string section, which is far cheaper than
 * decoding every type.
 */
const flavoredNames = new WeakMap<Btf, Map<string, string[]>>();

/**
 * Finds the target types a local root type may resolve to, in search order.
 *
 * @param local - object BTF
 * @param rootId - local type id (as recorded; not resolved through typedefs)
 * @param targets - vmlinux first, then module BTFs
 * @throws RelocFailure (EOPNOTSUPP) for an anonymous local type: there is nothing to search by
 */
export function findCandidates(local: Btf, rootId: number, targets: readonly Btf[]): Candidate[] {
  const localType = local.typeById(rootId);
  if (localType.name === '') {
    throw new RelocFailure(`type [${rootId}] is anonymous; CO-RE can only match named types`, 'EOPNOTSUPP');
  }
  const name = essentialName(localType.name);
  const [main, ...modules] = targets;
  if (main === undefined) return [];
  const fromMain = collect(main, name, localType);
  if (fromMain.length > 0) return fromMain;
  return modules.flatMap((btf) => collect(btf, name, localType));
}

/** Own types of `btf` whose essential name is `name` and whose kind fits `localType`, by id. */
function collect(btf: Btf, name: string, localType: BtfType): Candidate[] {
  const names = [name, ...(flavorsOf(btf).get(name) ?? [])];
  const ids = new Set<number>();
  for (const n of names) {
    for (const t of btf.findAllByName(n, undefined, { ownOnly: true })) {
      if (t.id >= btf.startId && kindsCompatible(t, localType)) ids.add(t.id);
    }
  }
  return [...ids].sort((a, b) => a - b).map((id) => ({ btf, id }));
}

function flavorsOf(btf: Btf): Map<string, string[]> {
  let map = flavoredNames.get(btf);
  if (map) return map;
  map = new Map();
  // Split BTF: strings below the base's length belong to the base, whose types we skip.
  let off = btf.base?.stringsLength ?? 0;
  while (off < btf.stringsLength) {
    const s = btf.stringAt(off);
    const essential = s.length > 4 ? essentialName(s) : s;
    if (essential !== s) {
      const list = map.get(essential) ?? [];
      if (!list.includes(s)) list.push(s);
      map.set(essential, list);
    }
    // Always advances by at least the NUL, so the walk ends even on odd input.
    off += Buffer.byteLength(s) + 1;
  }
  flavoredNames.set(btf, map);
  return map;
}
