/**
 * Kernel enumerators by name, for filling `.rodata` constants the way sched_ext's user
 * space does (its SCX_ENUM_INIT: every `__SCX_FOO` constant gets the kernel's `SCX_FOO`,
 * or 0 where this kernel has no such enumerator), so one object runs on kernels whose
 * enums differ.
 */
import { BtfKind, type Btf, type BtfEnum } from '../btf';

const cache = new WeakMap<Btf, Map<string, bigint>>();

/**
 * Every enumerator of every ENUM/ENUM64 in `btf`, name -> value (signed enums keep their
 * sign). The first definition of a name wins, as in C where enumerator names are unique.
 */
export function kernelEnumerators(btf: Btf): Map<string, bigint> {
  let out = cache.get(btf);
  if (out) return out;
  out = new Map();
  for (const id of btf.idsOfKinds([BtfKind.ENUM, BtfKind.ENUM64])) {
    const t = btf.typeById(id) as BtfEnum;
    for (const e of t.values) {
      if (out.has(e.name)) continue;
      const v = BigInt(e.value);
      out.set(e.name, t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v));
    }
  }
  cache.set(btf, out);
  return out;
}

/**
 * The value a C assignment of `v` to an integer of `size` bytes stores (two's complement
 * wrap), as the upstream `rodata->__SCX_FOO = SCX_FOO` does.
 */
export function fitInteger(v: bigint, size: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}
