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

/** Bits of INT data that carry nothing (between BITS and OFFSET, above ENCODING). */
const INT_RESERVED = 0xf000ff00;
/** BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL: the kernel accepts at most one of them. */
const INT_ENCODINGS = new Set([0, 1, 2, 4]);

/**
 * Why an INT record of byte size `size` with data word `data` is one the kernel refuses
 * (btf_int_check_meta), or undefined when it is valid: size 1, 2, 4, 8 or 16; 128
 * bits at most that, with their offset, fit the size; one encoding at most; no reserved bits.
 */
export function intProblem(size: number, data: number): string | undefined {
  const bits = data & 0xff;
  const bitOffset = (data >>> 16) & 0xff;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8 && size !== 16) return `int size ${size} is not 1, 2, 4, 8 or 16`;
  if ((data & INT_RESERVED) !== 0) return `int data 0x${data.toString(16)} has reserved bits set`;
  if (bits > 128 || bitOffset + bits > size * 8) return `int data 0x${data.toString(16)} invalid for size ${size}`;
  if (!INT_ENCODINGS.has(data >>> 24)) return `int encoding ${data >>> 24} is not signed, char or bool`;
  return undefined;
}
