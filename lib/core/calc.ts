// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * What a relocation evaluates to on one side (local = what clang assumed, target = the
 * kernel). The values follow libbpf's bpf_core_calc_*_relo, including how a bitfield read
 * is planned for BPF_CORE_READ_BITFIELD: the smallest aligned 1/2/4/8-byte load that holds
 * the bitfield, then shift left and right within a u64 (little-endian layout).
 */
import { BtfKind, CoreReloKind, type BtfType } from '../btf';
import { RelocFailure } from './failure';
import { isAnyEnum, isComposite, isSignedScalar, reloKindName } from './kinds';
import type { AccessSpec } from './spec';

/** One side's value for a relocation. */
export interface SideValue {
  /** The value, as a 64-bit two's-complement quantity. */
  value: bigint;
  /** False when the instruction's current value need not equal the local value (see {@link fieldValue}). */
  validate: boolean;
  /** For BYTE_OFFSET of a non-bitfield field: its byte size (drives load/store size changes); else 0. */
  memSize: number;
  /** Resolved type of that field (to decide whether a size change is safe). */
  memType?: BtfType;
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

/**
 * Computes a field relocation (kinds 0-5) on one side; `spec` undefined means the field
 * was not found (FIELD_EXISTS then gives 0; the caller poisons the other kinds).
 *
 * Bitfields are not validated against the instruction: clang and libbpf may plan a
 * different load size for the same layout (clang wrote 8 where 1 is computed for
 * tcp's icsk_ca_state), so only RSHIFT and SIGNED, which cannot differ, are checked.
 *
 * @throws RelocFailure for a kind that cannot apply to an array element, a field with no
 *   size, or a bitfield that no 8-byte load can hold
 */
export function fieldValue(kind: CoreReloKind, spec: AccessSpec): SideValue {
  if (kind === CoreReloKind.FIELD_EXISTS) return { value: 1n, validate: true, memSize: 0 };
  const { btf } = spec;
  const acc = spec.accessors[spec.accessors.length - 1];

  // Last step is an array element (or the root itself): only offset and size make sense.
  if (acc.name === undefined) {
    const size = btf.sizeOf(acc.typeId);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      return { value: u64(Math.floor(spec.bitOffset / 8)), validate: true, memSize: size, memType: btf.typeById(acc.typeId) };
    }
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return { value: u64(size), validate: true, memSize: 0 };
    throw new RelocFailure(`${reloKindName(kind)} cannot be applied to an array element`);
  }

  const parent = btf.typeById(acc.typeId);
  if (!isComposite(parent)) throw new RelocFailure(`accessor type [${acc.typeId}] is not a struct or union`);
  const member = parent.members[acc.index];
  const fieldType = btf.resolve(member.type);
  const bitOff = spec.bitOffset;
  let bitSize = member.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    ({ byteSize, byteOff } = bitfieldLoad(fieldType, bitOff, bitSize, member.name));
  } else {
    byteSize = btf.sizeOf(fieldType.id);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }

  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return bitfield
        ? { value: u64(byteOff), validate: false, memSize: 0 }
        : { value: u64(byteOff), validate: true, memSize: byteSize, memType: fieldType };
    case CoreReloKind.FIELD_BYTE_SIZE:
      return { value: u64(byteSize), validate: !bitfield, memSize: 0 };
    case CoreReloKind.FIELD_SIGNED:
      return { value: isSignedScalar(fieldType) ? 1n : 0n, validate: true, memSize: 0 };
    case CoreReloKind.FIELD_LSHIFT_U64:
      // Little-endian: move the field's top bit to bit 63 of the loaded value.
      return { value: u64(64 - (bitOff + bitSize - byteOff * 8)), validate: !bitfield, memSize: 0 };
    case CoreReloKind.FIELD_RSHIFT_U64:
      return { value: u64(64 - bitSize), validate: true, memSize: 0 };
    default:
      throw new RelocFailure(`${reloKindName(kind)} is not a field relocation`);
  }
}

/**
 * Plans the load for a bitfield: start from the declared type's size, aligned down, and
 * double it until the bits fit.
 */
function bitfieldLoad(fieldType: BtfType, bitOff: number, bitSize: number, name: string): { byteSize: number; byteOff: number } {
  let byteSize = fieldType.kind === BtfKind.INT || isAnyEnum(fieldType) ? fieldType.size : 0;
  // Also keeps the doubling loop below finite.
  if (![1, 2, 4, 8].includes(byteSize)) {
    throw new RelocFailure(`bitfield '${name}' has a type of unsupported size ${byteSize}`);
  }
  let byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
  while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
    if (byteSize >= 8) throw new RelocFailure(`bitfield '${name}' cannot be read with one 64-bit load`, 'E2BIG');
    byteSize *= 2;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
  }
  return { byteSize, byteOff };
}

/**
 * Computes a type relocation (kinds 7-9, 12) on one side; `spec` undefined means no
 * compatible target type, which makes every one of them 0 (never a poison).
 */
export function typeValue(kind: CoreReloKind, spec: AccessSpec | undefined): SideValue {
  if (spec === undefined) return { value: 0n, validate: true, memSize: 0 };
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      // Type ids in the instruction may have been renumbered by a BPF linker: never check them.
      return { value: u64(spec.rootId), validate: false, memSize: 0 };
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return { value: 1n, validate: true, memSize: 0 };
    case CoreReloKind.TYPE_SIZE:
      return { value: u64(spec.btf.sizeOf(spec.rootId)), validate: true, memSize: 0 };
    default:
      throw new RelocFailure(`${reloKindName(kind)} is not a type relocation`);
  }
}

/**
 * Computes an enumerator relocation (kinds 10-11) on one side. ENUMVAL_VALUE of a missing
 * enumerator has no value: the caller poisons it.
 */
export function enumValue(kind: CoreReloKind, spec: AccessSpec): SideValue {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return { value: 1n, validate: true, memSize: 0 };
  const acc = spec.accessors[0];
  const t = spec.btf.typeById(acc.typeId);
  if (!isAnyEnum(t)) throw new RelocFailure(`type [${acc.typeId}] is not an enum`);
  return { value: u64(t.values[acc.index].value), validate: true, memSize: 0 };
}
