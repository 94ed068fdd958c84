// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Access specs: the decoded form of a CO-RE access string ("0:1:2") walked over a BTF.
 * Facts from the kernel's Documentation/bpf/llvm_reloc.rst ("CO-RE Relocations") and the
 * behaviour of libbpf's bpf_core_parse_spec.
 */
import { BtfKind, type Btf, type BtfArray, type BtfType } from '../btf';
import { RelocFailure } from './failure';
import { isAnyEnum, isComposite, isEnumvalKind, isTypeKind } from './kinds';

/** Longest access path accepted (libbpf's BPF_CORE_SPEC_MAX_LEN). */
export const MAX_SPEC_LEN = 64;

/** One step of an access path that matters for matching by name. */
export interface Accessor {
  /**
   * Resolved type id the step applies to: the struct/union for a member, the element type
   * for an array index (and for the first step), the enum for an enumerator.
   */
  typeId: number;
  /** Member, array or enumerator index. */
  index: number;
  /** Member or enumerator name; undefined for array indexes (and the first step of a field access). */
  name?: string;
}

/** An access path resolved against one BTF. */
export interface AccessSpec {
  btf: Btf;
  /** Root type id (the relocation's type id locally, the candidate's in the target). */
  rootId: number;
  /** Named members and array indexes; anonymous struct/union members are left out. */
  accessors: Accessor[];
  /** Every index of the path, anonymous members included. */
  raw: number[];
  /** Bit offset of the accessed field from the start of the root type. */
  bitOffset: number;
}

/**
 * Splits an access string into indexes.
 *
 * @throws RelocFailure for anything but colon-separated decimal numbers below 2^31, or more
 *   than {@link MAX_SPEC_LEN} of them
 */
export function parseAccessString(accessStr: string): number[] {
  if (!/^\d+(:\d+)*$/.test(accessStr)) throw new RelocFailure(`malformed access string '${accessStr}'`);
  const parts = accessStr.split(':');
  if (parts.length > MAX_SPEC_LEN) {
    throw new RelocFailure(`access string '${accessStr}' has more than ${MAX_SPEC_LEN} steps`, 'E2BIG');
  }
  return parts.map((p) => {
    const n = Number(p);
    // libbpf reads each step with %d: anything beyond int range is not a valid index.
    if (n > 0x7fffffff) throw new RelocFailure(`access string '${accessStr}': index ${p} out of range`);
    return n;
  });
}

/**
 * Walks a relocation's access string over the local (object) BTF.
 *
 * @param btf - local BTF
 * @param rootId - the relocation's type id
 * @param kind - the relocation kind (decides how the string is read)
 * @param accessStr - the access string
 * @throws RelocFailure when the string does not fit the type (index past the members, an
 *   enumerator access on a non-enum, a type relocation whose string is not `'0'`, ...)
 */
export function parseLocalSpec(btf: Btf, rootId: number, kind: number, accessStr: string): AccessSpec {
  const raw = parseAccessString(accessStr);
  const spec: AccessSpec = { btf, rootId, accessors: [], raw, bitOffset: 0 };
  // Type relocations describe the root type itself; clang always writes "0".
  if (isTypeKind(kind)) {
    if (accessStr !== '0') throw new RelocFailure(`type relocation with access string '${accessStr}' (expected '0')`);
    return spec;
  }

  const root = btf.resolve(rootId);
  const first = raw[0];
  spec.accessors.push({ typeId: root.id, index: first });

  if (isEnumvalKind(kind)) {
    if (!isAnyEnum(root)) throw new RelocFailure(`enumerator relocation on non-enum type [${rootId}]`);
    if (raw.length > 1 || first >= root.values.length) {
      throw new RelocFailure(`enumerator index '${accessStr}' out of range (${root.values.length} values)`);
    }
    spec.accessors[0].name = root.values[first].name;
    return spec;
  }

  // The first step indexes an implicit array of the root type (p[0].x is "0:..").
  let id = root.id;
  spec.bitOffset = first * btf.sizeOf(id) * 8;
  for (let i = 1; i < raw.length; i++) {
    const t = btf.resolve(id);
    const idx = raw[i];
    if (isComposite(t)) {
      if (idx >= t.members.length) {
        throw new RelocFailure(`access '${accessStr}': member index ${idx} past the ${t.members.length} members of [${t.id}]`);
      }
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      // Anonymous members are only a path: the target may nest the field differently.
      if (m.name !== '') spec.accessors.push({ typeId: t.id, index: idx, name: m.name });
      id = m.type;
    } else if (t.kind === BtfKind.ARRAY) {
      const elem = btf.resolve(t.elemType);
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(btf, prev, t) && idx >= t.nelems) {
        throw new RelocFailure(`access '${accessStr}': array index ${idx} past ${t.nelems} elements of [${t.id}]`);
      }
      spec.accessors.push({ typeId: elem.id, index: idx });
      spec.bitOffset += idx * btf.sizeOf(elem.id) * 8;
      id = elem.id;
    } else {
      throw new RelocFailure(`access '${accessStr}' step ${i} indexes into ${kindLabel(t)} [${t.id}]`);
    }
  }
  checkOffset(spec, accessStr);
  return spec;
}

/**
 * A flexible array member: zero elements and the last member of the struct that holds it,
 * so any index is allowed (libbpf is_flex_arr).
 *
 * @param btf - BTF holding the types
 * @param holder - the accessor that led to the array (a named member, or not)
 * @param arr - the array type
 */
export function isFlexArray(btf: Btf, holder: Accessor, arr: BtfArray): boolean {
  if (holder.name === undefined || arr.nelems > 0) return false;
  const parent = btf.typeById(holder.typeId);
  return isComposite(parent) && holder.index === parent.members.length - 1;
}

/**
 * Throws when a bit offset no longer is an exact integer (absurd array indexes).
 *
 * @throws RelocFailure (ERANGE)
 */
export function checkOffset(spec: AccessSpec, accessStr: string): void {
  if (!Number.isSafeInteger(spec.bitOffset)) {
    throw new RelocFailure(`access '${accessStr}' offset out of range`, 'ERANGE');
  }
}

/** `'struct'`, `'int'`, ... for messages. */
export function kindLabel(t: BtfType): string {
  return (BtfKind[t.kind] ?? `kind ${t.kind}`).toLowerCase();
}

/**
 * Describes a spec's path in C terms, e.g. `struct core_sk::inner.y` or `enum color::RED`.
 *
 * @param spec - a parsed spec (local or target)
 */
export function describeSpec(spec: AccessSpec): string {
  const root = spec.btf.typeById(spec.rootId);
  let out = `${kindLabel(root)} ${root.name || '(anon)'}`;
  // The first name follows the type as `::`, later ones as `.`, indexes as `[n]`.
  let sep = '::';
  spec.accessors.forEach((acc, i) => {
    if (acc.name !== undefined) {
      out += `${sep}${acc.name}`;
      sep = '.';
    } else if (i > 0 || acc.index !== 0) {
      out += `[${acc.index}]`;
    }
  });
  return out;
}
