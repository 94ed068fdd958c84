// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * TYPE_MATCHES (bpf_core_type_matches): a stricter relation than compatibility, following
 * the rules libbpf documents for bpf_core_types_match. This is an approximation written
 * from that description, not a transcription:
 * - modifiers and typedefs are looked through; kinds must agree (ENUM ~ ENUM64), except that
 *   behind a pointer a struct/union also matches a forward declaration of the same flavor;
 * - ints match with the same size and signedness, floats with the same size;
 * - pointers and arrays match when their targets match (arrays also need the same length);
 * - structs/unions: every named local member must exist by name in the target with a
 *   matching type (anonymous members match some anonymous target member); behind a pointer
 *   only the essential names are compared, which also ends recursion through linked types;
 * - enums: same size and every local enumerator name present in the target;
 * - function prototypes: same parameter count, parameters and return type match.
 */
import { BtfKind, type Btf } from '../btf';
import { RelocFailure } from './failure';
import { isAggregate, isAnyEnum, isComposite, isSignedScalar, isUnionLike, kindsCompatible } from './kinds';
import { MAX_TYPE_DEPTH } from './limits';
import { essentialName } from './names';

/**
 * Whether a local type matches a candidate target type (whose name was already matched).
 *
 * @throws RelocFailure when the types nest deeper than {@link MAX_TYPE_DEPTH}
 */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  return match(local, localId, target, targetId, false, 0);
}

function match(local: Btf, localId: number, target: Btf, targetId: number, behindPtr: boolean, depth: number): boolean {
  if (depth >= MAX_TYPE_DEPTH) throw new RelocFailure(`types nest deeper than ${MAX_TYPE_DEPTH} levels`);
  const l = local.resolve(localId);
  const t = target.resolve(targetId);
  if (behindPtr && isAggregate(l) && isAggregate(t)) {
    return isUnionLike(l) === isUnionLike(t) && essentialName(l.name) === essentialName(t.name);
  }
  if (!kindsCompatible(l, t)) return false;
  const next = (a: number, b: number, ptr: boolean): boolean => match(local, a, target, b, ptr, depth + 1);
  switch (l.kind) {
    case BtfKind.UNKN:
      return true;
    case BtfKind.INT:
      return t.kind === BtfKind.INT && l.size === t.size && isSignedScalar(l) === isSignedScalar(t);
    case BtfKind.FLOAT:
      return t.kind === BtfKind.FLOAT && l.size === t.size;
    case BtfKind.PTR:
      return t.kind === BtfKind.PTR && next(l.type, t.type, true);
    case BtfKind.ARRAY:
      return t.kind === BtfKind.ARRAY && l.nelems === t.nelems && next(l.elemType, t.elemType, behindPtr);
    case BtfKind.FWD:
      return t.kind === BtfKind.FWD && l.union === t.union && essentialName(l.name) === essentialName(t.name);
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return isAnyEnum(t) && l.size === t.size && l.values.every((v) => t.values.some((w) => w.name === v.name));
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      if (!isComposite(t)) return false;
      return l.members.every((m) =>
        t.members.some((n) => n.name === m.name && next(m.type, n.type, behindPtr)),
      );
    }
    case BtfKind.FUNC_PROTO: {
      if (t.kind !== BtfKind.FUNC_PROTO || l.params.length !== t.params.length) return false;
      return l.params.every((p, i) => next(p.type, t.params[i].type, behindPtr)) && next(l.returnType, t.returnType, behindPtr);
    }
    default:
      return false;
  }
}
