// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Bounds-checked little-endian readers shared by the ELF parsers. */

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BpfError, malformed } from '../errors';
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

/** Largest object file accepted (BPF objects are kilobytes to a few megabytes). */
export const MAX_OBJECT_FILE = 256 << 20;

/**
 * Reads a whole object file, refusing anything that is not a regular file (a FIFO would
 * block forever, /dev/zero would grow without bound) or is larger than
 * {@link MAX_OBJECT_FILE}. The size is taken from fstat of the opened fd, and exactly
 * that many bytes are read, so a file that grows meanwhile cannot grow the buffer.
 *
 * @param cannotRead - the message for a file that cannot be opened or read, given the errno code
 * @throws BpfError with the errno code (ENOENT, EACCES, ...), EINVAL for a non-regular
 *   file, EFBIG for a file over the limit
 */
export function readObjectFile(path: string, cannotRead = (code: string) => `${path}: cannot read object file: ${code}`): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BpfError(cannotRead(code), { code, object: path, cause: err, hint: 'check the path and that the file is readable' });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new BpfError(`${path} is not a regular file`, {
        code: 'EINVAL', object: path, hint: 'pass a .bpf.o file (devices, FIFOs, sockets and directories are refused)',
      });
    }
    if (st.size > MAX_OBJECT_FILE) {
      throw new BpfError(`${path} is ${st.size} bytes, over the ${MAX_OBJECT_FILE}-byte limit for object files`, {
        code: 'EFBIG', object: path,
      });
    }
    const buf = Buffer.alloc(st.size);
    let pos = 0;
    while (pos < buf.length) {
      const n = readSync(fd, buf, pos, buf.length - pos, pos);
      if (n <= 0) break;
      pos += n;
    }
    return pos === buf.length ? buf : buf.subarray(0, pos);
  } catch (err) {
    if (err instanceof BpfError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BpfError(cannotRead(code), { code, object: path, cause: err });
  } finally {
    closeSync(fd);
  }
}
