// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Prototype compatibility for resolving `__ksym` kfunc declarations against kernel FUNCs.
 * libbpf uses its type-relocation rule (bpf_core_types_are_compat) here; this check is
 * deliberately a little stricter, so a declaration that would pass wrong-sized arguments
 * is caught before the verifier sees it:
 * - same parameter count; every parameter and the return type compatible;
 * - void only with void;
 * - ints with ints of the same byte size (signedness ignored), enums with enums (ENUM ~ ENUM64)
 *   of the same size, floats with floats of the same size;
 * - pointers with pointers whose pointees are compatible, where a pointee struct/union
 *   (or forward declaration of one) matches by essential name (`sock___x` ~ `sock`);
 * - arrays by element type; function pointers by prototype, recursively.
 * Modifiers and typedefs are looked through everywhere.
 */
import { BtfKind, type Btf, type BtfType } from '../btf';
import { isAggregate, isUnionLike } from './kinds';
import { MAX_TYPE_DEPTH } from './limits';
import { essentialName } from './names';

/**
 * Checks that a local kfunc prototype is compatible with the kernel's.
 *
 * @param local - object BTF
 * @param localId - local FUNC or FUNC_PROTO id
 * @param target - kernel (vmlinux or module) BTF
 * @param targetId - kernel FUNC or FUNC_PROTO id
 * @returns true when the prototypes are compatible; false otherwise, also for types nested
 *   deeper than 32 levels
 * @throws BpfError (EINVAL) when an id is out of range or a typedef chain loops
 * @example
 * const kfunc = vmlinux.findByName('tcp_slow_start', 'func')!;
 * funcProtosCompatible(objBtf, localFuncId, vmlinux, kfunc.id); // true
 */
export function funcProtosCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  const l = protoOf(local, localId);
  const t = protoOf(target, targetId);
  if (l === undefined || t === undefined) return false;
  return compatible(local, l.id, target, t.id, 0);
}

function protoOf(btf: Btf, id: number): BtfType | undefined {
  let t = btf.resolve(id);
  if (t.kind === BtfKind.FUNC) t = btf.resolve(t.type);
  return t.kind === BtfKind.FUNC_PROTO ? t : undefined;
}

function compatible(local: Btf, localId: number, target: Btf, targetId: number, depth: number): boolean {
  if (depth >= MAX_TYPE_DEPTH) return false;
  const l = local.resolve(localId);
  const t = target.resolve(targetId);
  switch (l.kind) {
    case BtfKind.UNKN:
      return t.kind === BtfKind.UNKN;
    case BtfKind.INT:
      return t.kind === BtfKind.INT && t.size === l.size;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.size === l.size;
    case BtfKind.FLOAT:
      return t.kind === BtfKind.FLOAT && t.size === l.size;
    case BtfKind.PTR:
      return t.kind === BtfKind.PTR && pointeesCompatible(local, l.type, target, t.type, depth + 1);
    case BtfKind.ARRAY:
      return t.kind === BtfKind.ARRAY && compatible(local, l.elemType, target, t.elemType, depth + 1);
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.FWD:
      return sameAggregate(l, t);
    case BtfKind.FUNC_PROTO: {
      if (t.kind !== BtfKind.FUNC_PROTO || t.params.length !== l.params.length) return false;
      for (let i = 0; i < l.params.length; i++) {
        if (!compatible(local, l.params[i].type, target, t.params[i].type, depth + 1)) return false;
      }
      return compatible(local, l.returnType, target, t.returnType, depth + 1);
    }
    default:
      return false;
  }
}

function pointeesCompatible(local: Btf, localId: number, target: Btf, targetId: number, depth: number): boolean {
  const l = local.resolve(localId);
  const t = target.resolve(targetId);
  if (isAggregate(l) || isAggregate(t)) return sameAggregate(l, t);
  return compatible(local, l.id, target, t.id, depth);
}

/** Struct ~ struct, union ~ union, a forward declaration ~ either of its flavor; same essential name. */
function sameAggregate(l: BtfType, t: BtfType): boolean {
  if (!isAggregate(l) || !isAggregate(t)) return false;
  if (isUnionLike(l) !== isUnionLike(t)) return false;
  return essentialName(l.name) === essentialName(t.name);
}
