// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Relocation kind groups and BTF kind predicates shared by the CO-RE modules.
 */
import { BTF_INT_SIGNED, BtfKind, CoreReloKind, type BtfComposite, type BtfEnum, type BtfType } from '../btf';

/** Kinds 0-5: computed from a field access path. */
export function isFieldKind(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}

/** Kinds 6-9 and 12: computed from a whole type; the access string must be `'0'`. */
export function isTypeKind(kind: number): boolean {
  return (kind >= CoreReloKind.TYPE_ID_LOCAL && kind <= CoreReloKind.TYPE_SIZE) || kind === CoreReloKind.TYPE_MATCHES;
}

/** Kinds 10-11: computed from one enumerator. */
export function isEnumvalKind(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** Short name as llvm-objdump prints it (`byte_off`, `type_exists`), or `kind N` for unknown kinds. */
export function reloKindName(kind: number): string {
  return RELO_KIND_NAMES[kind] ?? `kind ${kind}`;
}

const RELO_KIND_NAMES: Record<number, string> = {
  [CoreReloKind.FIELD_BYTE_OFFSET]: 'byte_off',
  [CoreReloKind.FIELD_BYTE_SIZE]: 'byte_sz',
  [CoreReloKind.FIELD_EXISTS]: 'field_exists',
  [CoreReloKind.FIELD_SIGNED]: 'signed',
  [CoreReloKind.FIELD_LSHIFT_U64]: 'lshift_u64',
  [CoreReloKind.FIELD_RSHIFT_U64]: 'rshift_u64',
  [CoreReloKind.TYPE_ID_LOCAL]: 'local_type_id',
  [CoreReloKind.TYPE_ID_TARGET]: 'target_type_id',
  [CoreReloKind.TYPE_EXISTS]: 'type_exists',
  [CoreReloKind.TYPE_SIZE]: 'type_size',
  [CoreReloKind.ENUMVAL_EXISTS]: 'enumval_exists',
  [CoreReloKind.ENUMVAL_VALUE]: 'enumval_value',
  [CoreReloKind.TYPE_MATCHES]: 'type_matches',
};

/** STRUCT or UNION. */
export function isComposite(t: BtfType): t is BtfComposite {
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
}

/** ENUM or ENUM64. */
export function isAnyEnum(t: BtfType): t is BtfEnum {
  return t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
}

/** Same BTF kind, treating ENUM and ENUM64 as one (libbpf btf_kind_core_compat). */
export function kindsCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** A signed INT, or an ENUM/ENUM64 with signed values. */
export function isSignedScalar(t: BtfType): boolean {
  if (t.kind === BtfKind.INT) return (t.encoding & BTF_INT_SIGNED) !== 0;
  return isAnyEnum(t) && t.signed;
}

/** STRUCT, UNION or a FWD of either: what a pointer to an aggregate may point at. */
export function isAggregate(t: BtfType): boolean {
  return isComposite(t) || t.kind === BtfKind.FWD;
}

/** Whether an aggregate is a union (a FWD records which it declares). */
export function isUnionLike(t: BtfType): boolean {
  return t.kind === BtfKind.UNION || (t.kind === BtfKind.FWD && t.union);
}
