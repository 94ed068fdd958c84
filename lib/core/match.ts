// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Matching a local access spec against one candidate target type: members are found by
 * name (looking through anonymous structs and unions), array indexes are kept, and the
 * target bit offset is summed along the way. Enumerators are matched by essential name.
 * Facts from Documentation/bpf/llvm_reloc.rst and libbpf's bpf_core_spec_match.
 */
import { BtfKind, type Btf } from '../btf';
import { RelocFailure } from './failure';
import { isAnyEnum, isComposite, kindsCompatible } from './kinds';
import { MAX_TYPE_DEPTH } from './limits';
import { essentialName } from './names';
import { MAX_SPEC_LEN, checkOffset, isFlexArray, type Accessor, type AccessSpec } from './spec';

/**
 * Matches a field access path in a candidate.
 *
 * @param local - the local spec (from parseLocalSpec)
 * @param btf - target BTF
 * @param candId - candidate root type id in `btf`
 * @returns the target spec, or undefined when the candidate lacks the field or it is incompatible
 * @throws RelocFailure when the path is too deep or the target types are inconsistent
 */
export function matchField(local: AccessSpec, btf: Btf, candId: number): AccessSpec | undefined {
  const spec: AccessSpec = { btf, rootId: candId, accessors: [], raw: [], bitOffset: 0 };
  let id = candId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i];
    const t = btf.resolve(id);
    id = t.id;
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, btf, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // Step 0 indexes the root itself; later unnamed steps are array indexes.
    if (i > 0) {
      if (t.kind !== BtfKind.ARRAY) return undefined;
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(btf, prev, t) && acc.index >= t.nelems) return undefined;
      id = btf.resolve(t.elemType).id;
    }
    pushRaw(spec, acc.index);
    spec.accessors.push({ typeId: id, index: acc.index });
    spec.bitOffset += acc.index * btf.sizeOf(id) * 8;
  }
  checkOffset(spec, local.raw.join(':'));
  return spec;
}

/**
 * Finds the member named like `acc` in target composite `compId`, descending into
 * anonymous members. On success the member's accessor, raw path and offset are added to
 * `spec` and the member's type id is returned.
 */
function matchMember(localBtf: Btf, acc: Accessor, btf: Btf, compId: number, spec: AccessSpec): number | undefined {
  const comp = btf.resolve(compId);
  if (!isComposite(comp)) return undefined;
  const localParent = localBtf.typeById(acc.typeId);
  if (!isComposite(localParent)) throw new RelocFailure(`accessor type [${acc.typeId}] is not a struct or union`);
  const localMember = localParent.members[acc.index];
  for (let i = 0; i < comp.members.length; i++) {
    const m = comp.members[i];
    pushRaw(spec, i);
    spec.bitOffset += m.bitOffset;
    if (m.name === '') {
      // Anonymous struct/union: the field may live inside it.
      const found = matchMember(localBtf, acc, btf, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === acc.name) {
      if (!fieldsCompatible(localBtf, localMember.type, btf, m.type)) return undefined;
      spec.accessors.push({ typeId: comp.id, index: i, name: m.name });
      return m.type;
    }
    // Not this member: undo the speculative step.
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

function pushRaw(spec: AccessSpec, index: number): void {
  if (spec.raw.length >= MAX_SPEC_LEN) {
    throw new RelocFailure(`target access path deeper than ${MAX_SPEC_LEN} steps`, 'E2BIG');
  }
  spec.raw.push(index);
}

/**
 * Whether a local field type can be relocated to a target field type (libbpf's
 * bpf_core_fields_are_compat): any two structs/unions; otherwise the same kind, with enums
 * and forward declarations matched by essential name (or either anonymous), pointers and
 * floats always, ints unless they are legacy bitfield-style ints, arrays by element type.
 *
 * @throws RelocFailure for an array chain deeper than {@link MAX_TYPE_DEPTH}
 */
export function fieldsCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth < MAX_TYPE_DEPTH; depth++) {
    const l = local.resolve(localId);
    const t = target.resolve(targetId);
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case BtfKind.PTR:
      case BtfKind.FLOAT:
        return true;
      case BtfKind.FWD:
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        const ln = essentialName(l.name);
        const tn = essentialName(t.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case BtfKind.INT:
        return l.bitOffset === 0 && t.kind === BtfKind.INT && t.bitOffset === 0;
      case BtfKind.ARRAY:
        if (t.kind !== BtfKind.ARRAY) return false;
        localId = l.elemType;
        targetId = t.elemType;
        continue;
      default:
        return false;
    }
  }
  throw new RelocFailure(`array nesting deeper than ${MAX_TYPE_DEPTH} levels`);
}

/**
 * Matches an enumerator access: the candidate must be an enum with an enumerator of the
 * same essential name.
 *
 * @returns the target spec (one accessor naming the target enumerator), or undefined
 */
export function matchEnumval(local: AccessSpec, btf: Btf, candId: number): AccessSpec | undefined {
  const t = btf.resolve(candId);
  if (!isAnyEnum(t)) return undefined;
  const want = essentialName(local.accessors[0].name ?? '');
  const index = t.values.findIndex((v) => essentialName(v.name) === want);
  if (index < 0) return undefined;
  return {
    btf,
    rootId: candId,
    accessors: [{ typeId: t.id, index, name: t.values[index].name }],
    raw: [index],
    bitOffset: 0,
  };
}
