// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
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
 * Per target BTF: flavored names (`x___y`) by essential name. The name index of Btf answers
 * exact names only; flavored kernel types exist (vmlinux has `nf_conn___init`), so each
 * essential name's flavors are found by one native search of the string section.
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
  const names = [name, ...flavorsOf(btf, name)];
  const ids = new Set<number>();
  for (const n of names) {
    for (const t of btf.findAllByName(n, undefined, { ownOnly: true })) {
      if (t.id >= btf.startId && kindsCompatible(t, localType)) ids.add(t.id);
    }
  }
  return [...ids].sort((a, b) => a - b).map((id) => ({ btf, id }));
}

/** Flavored names (`name___x`) in `btf`'s own strings whose essential name is `name`. */
function flavorsOf(btf: Btf, name: string): string[] {
  let byName = flavoredNames.get(btf);
  if (!byName) {
    byName = new Map();
    flavoredNames.set(btf, byName);
  }
  let list = byName.get(name);
  if (!list) {
    list = btf.stringsWithPrefix(`${name}___`).filter((s) => essentialName(s) === name);
    byName.set(name, list);
  }
  return list;
}
