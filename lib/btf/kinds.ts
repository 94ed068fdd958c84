// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Kind-level facts about BTF records: names as written in C and the byte size of each
 * record, which the scanner needs before anything is decoded.
 */
import { malformed } from '../errors';
import { BtfKind, type BtfKindName } from './types';

/** Size of `struct btf_type` (name_off, info, size/type), common to every record. */
export const BTF_TYPE_HEADER_SIZE = 12;

const NAMES: readonly BtfKindName[] = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile',
  'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag',
  'type_tag', 'enum64',
];

const BY_NAME = new Map<string, BtfKind>(NAMES.map((n, i) => [n, i as BtfKind]));

/**
 * Returns the lookup name of a kind (`BtfKind.STRUCT` -> `'struct'`).
 *
 * @param kind - any BtfKind value
 * @returns the C-style name, or `kind<N>` for values outside the enum
 */
export function kindName(kind: BtfKind): string {
  return NAMES[kind] ?? `kind${kind as number}`;
}

/**
 * Normalises a kind given as enum value or name to the enum value.
 *
 * @param kind - `BtfKind.STRUCT` or `'struct'`
 * @returns the BtfKind
 * @throws BpfError (EINVAL) for an unknown kind name
 */
export function toKind(kind: BtfKind | BtfKindName): BtfKind {
  if (typeof kind === 'number') return kind;
  const k = BY_NAME.get(kind);
  if (k === undefined) throw malformed(`unknown btf kind name '${String(kind)}'`);
  return k;
}

/**
 * Returns the number of bytes that follow the 12-byte common header for a record of
 * this kind and vlen, or -1 when the kind is not a valid type-section kind.
 *
 * @param kind - kind bits of `info`
 * @param vlen - vlen bits of `info`
 */
export function recordTailSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return 4;
    case BtfKind.PTR:
    case BtfKind.FWD:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.FUNC:
    case BtfKind.FLOAT:
    case BtfKind.TYPE_TAG:
      return 0;
    case BtfKind.ARRAY:
      return 12;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.DATASEC:
    case BtfKind.ENUM64:
      return 12 * vlen;
    case BtfKind.ENUM:
    case BtfKind.FUNC_PROTO:
      return 8 * vlen;
    default:
      // BTF_KIND_UNKN (0) is only the implicit void type and never appears as a record.
      return -1;
  }
}

/** Kinds for which the kernel gives kind_flag a meaning; it must be 0 for all others. */
export function kindFlagAllowed(kind: BtfKind): boolean {
  switch (kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
    case BtfKind.FWD:
    case BtfKind.DECL_TAG:
    case BtfKind.TYPE_TAG:
      return true;
    default:
      return false;
  }
}

/** Kinds whose vlen bits carry data (member count, or FUNC linkage); 0 elsewhere. */
export function vlenAllowed(kind: BtfKind): boolean {
  switch (kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
    case BtfKind.FUNC_PROTO:
    case BtfKind.DATASEC:
    case BtfKind.FUNC:
      return true;
    default:
      return false;
  }
}
