// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Type compatibility for type-based relocations (TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE).
 * The rules are the ones libbpf documents for bpf_core_types_are_compat: root names were
 * already matched by the candidate search and are ignored below the root; kinds must agree
 * (ENUM ~ ENUM64); structs, unions, enums, forward declarations and ints are compatible
 * whatever their size or members (ints only reject legacy bitfield-style encodings);
 * pointers, arrays and typedefs compare what they refer to; function prototypes need the
 * same parameter count and compatible parameter and return types.
 */
import { BtfKind, type Btf } from '../btf';
import { RelocFailure } from './failure';
import { kindsCompatible } from './kinds';
import { MAX_TYPE_DEPTH } from './limits';

/**
 * Whether a local type and a candidate target type are compatible for a type relocation.
 *
 * @throws RelocFailure when the types nest deeper than {@link MAX_TYPE_DEPTH}
 */
export function typesAreCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  // A typedef candidate for a struct (or the reverse) is rejected before looking through it.
  if (!kindsCompatible(local.typeById(localId), target.typeById(targetId))) return false;
  return compatible(local, localId, target, targetId, 0);
}

function compatible(local: Btf, localId: number, target: Btf, targetId: number, depth: number): boolean {
  if (depth >= MAX_TYPE_DEPTH) throw new RelocFailure(`types nest deeper than ${MAX_TYPE_DEPTH} levels`);
  const l = local.resolve(localId);
  const t = target.resolve(targetId);
  if (!kindsCompatible(l, t)) return false;
  switch (l.kind) {
    case BtfKind.UNKN:
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
    case BtfKind.FWD:
      return true;
    case BtfKind.INT:
      return l.bitOffset === 0 && t.kind === BtfKind.INT && t.bitOffset === 0;
    case BtfKind.PTR:
      return t.kind === BtfKind.PTR && compatible(local, l.type, target, t.type, depth + 1);
    case BtfKind.ARRAY:
      return t.kind === BtfKind.ARRAY && compatible(local, l.elemType, target, t.elemType, depth + 1);
    case BtfKind.FUNC_PROTO: {
      if (t.kind !== BtfKind.FUNC_PROTO || l.params.length !== t.params.length) return false;
      for (let i = 0; i < l.params.length; i++) {
        if (!compatible(local, l.params[i].type, target, t.params[i].type, depth + 1)) return false;
      }
      return compatible(local, l.returnType, target, t.returnType, depth + 1);
    }
    default:
      return false;
  }
}
