// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The page size of this process, read from the auxiliary vector the kernel gave it
 * (AT_PAGESZ in /proc/self/auxv): the unit of arena sizes (max_entries counts pages) that
 * the open phase needs before any map or native handle exists. Read once, on first use.
 */
import { readFileSync } from 'node:fs';

/** AT_PAGESZ (include/uapi/linux/auxvec.h). */
const AT_PAGESZ = 6n;
const AT_NULL = 0n;

let cached: number | undefined;

/** Finds AT_PAGESZ in raw auxv bytes (pairs of unsigned longs, little-endian as on x64 and arm64); exported for unit tests. */
export function pageSizeFromAuxv(auxv: Buffer, wordSize = 8): number | undefined {
  const read = (at: number): bigint => (wordSize === 8 ? auxv.readBigUInt64LE(at) : BigInt(auxv.readUInt32LE(at)));
  for (let at = 0; at + 2 * wordSize <= auxv.length; at += 2 * wordSize) {
    const type = read(at);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) return Number(read(at + wordSize));
  }
  return undefined;
}

/**
 * sysconf(_SC_PAGESIZE) without the addon. Where /proc is not mounted the kernel cannot be
 * asked either, and 4096 (every x86-64 kernel, most arm64 ones) is used.
 */
export function systemPageSize(): number {
  if (cached === undefined) {
    let auxv: Buffer | undefined;
    try {
      auxv = readFileSync('/proc/self/auxv');
    } catch {
      auxv = undefined;
    }
    const wordSize = process.arch === 'ia32' || process.arch === 'arm' ? 4 : 8;
    cached = (auxv && pageSizeFromAuxv(auxv, wordSize)) || 4096;
  }
  return cached;
}
