// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Bounds-checked little-endian readers shared by the ELF parsers. */

import { malformed } from '../errors';
import type { BpfErrorContext } from '../errors';

/**
 * Reads a u64 at `offset` and returns it as a number, because every ELF value we keep
 * (offsets, sizes, symbol values) indexes a Buffer and must stay an exact integer.
 *
 * @throws BpfError (EINVAL) if the value is above Number.MAX_SAFE_INTEGER.
 */
export function readSafeU64(data: Buffer, offset: number, what: string, context: Omit<BpfErrorContext, 'code'>): number {
  // Two u32 reads, no BigInt: the value is safe exactly when the high word is below 2^21.
  const lo = data.readUInt32LE(offset);
  const hi = data.readUInt32LE(offset + 4);
  if (hi > 0x1fffff) {
    const value = (BigInt(hi) << 32n) | BigInt(lo);
    throw malformed(`${what} 0x${value.toString(16)} is too large`, context);
  }
  return hi * 0x100000000 + lo;
}

/**
 * Reads a u64 at `offset` as a number, or returns -1 when it is above
 * Number.MAX_SAFE_INTEGER (the caller then reports it through {@link readSafeU64}).
 * For hot loops: no message or context is built unless something is wrong.
 */
export function readU64OrNeg(data: Buffer, offset: number): number {
  const hi = data.readUInt32LE(offset + 4);
  return hi > 0x1fffff ? -1 : hi * 0x100000000 + data.readUInt32LE(offset);
}

/**
 * Reads a NUL-terminated string at `offset` of a string table.
 *
 * @returns the string, or undefined when `offset` is outside the table or no NUL follows
 *   it inside the table (the caller names the table and record in its error).
 */
export function cString(table: Buffer, offset: number): string | undefined {
  if (!Number.isInteger(offset) || offset < 0 || offset >= table.length) return undefined;
  const end = table.indexOf(0, offset);
  if (end < 0) return undefined;
  return table.toString('utf8', offset, end);
}
