// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Reads and writes one member of a struct_ops variable's local image (little-endian, as
 * the BPF target lays it out), checking every write against the member's C type before a
 * byte changes.
 */
import { integerRange, type IntegerMember, type ShadowMember } from './layout';

/** Largest finite C `float`; a larger finite JS number would silently become infinity. */
const FLT_MAX = 3.4028234663852886e38;

/** A write the member's type cannot hold: `why` completes "member X (T) ...". */
export class ShadowWriteError extends Error {
  constructor(readonly why: string, readonly code: string) {
    super(why);
  }
}

/** Reads a data member (anything but a function pointer) from `data`. */
export function readMember(m: ShadowMember, data: Buffer): number | bigint | boolean | string | Buffer {
  switch (m.kind) {
    case 'int':
    case 'char':
    case 'enum': {
      const v = readInt(data, m.offset, m.size, m.signed);
      return m.wide ? v : Number(v);
    }
    case 'bool':
      return data[m.offset] !== 0;
    case 'float':
      return m.size === 4 ? data.readFloatLE(m.offset) : data.readDoubleLE(m.offset);
    case 'string': {
      const bytes = data.subarray(m.offset, m.offset + m.size);
      const end = bytes.indexOf(0);
      return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
    }
    case 'bitfield': {
      let v = 0;
      for (let i = 0; i < m.bits; i++) {
        const bit = m.bitOffset + i;
        if ((data[bit >> 3] >> (bit & 7)) & 1) v += 2 ** i;
      }
      return v;
    }
    case 'raw':
      return Buffer.from(data.subarray(m.offset, m.offset + m.size));
    case 'program':
      throw new Error('function pointers are read from the program bindings');
  }
}

/**
 * Checks `input` against the member's type and writes it into `data`.
 *
 * @throws {ShadowWriteError} with a reason naming the allowed values; nothing is written then
 */
export function writeMember(m: ShadowMember, data: Buffer, input: unknown): void {
  switch (m.kind) {
    case 'int':
    case 'char':
    case 'enum':
      writeInt(data, m.offset, m.size, toInteger(m, input));
      return;
    case 'bool':
      if (input !== true && input !== false && input !== 0 && input !== 1) {
        throw new ShadowWriteError(`takes true or false, got ${show(input)}`, 'EINVAL');
      }
      data[m.offset] = input === true || input === 1 ? 1 : 0;
      return;
    case 'float': {
      if (typeof input !== 'number') throw new ShadowWriteError(`takes a number, got ${show(input)}`, 'EINVAL');
      if (m.size === 4) {
        if (Number.isFinite(input) && Math.abs(input) > FLT_MAX) {
          throw new ShadowWriteError(`is a 32-bit float: finite values must be within ±${FLT_MAX}, got ${input}`, 'ERANGE');
        }
        data.writeFloatLE(input, m.offset);
      } else {
        data.writeDoubleLE(input, m.offset);
      }
      return;
    }
    case 'string': {
      if (typeof input !== 'string') throw new ShadowWriteError(`takes a string, got ${show(input)}`, 'EINVAL');
      if (input.includes('\0')) throw new ShadowWriteError('takes a string without NUL characters', 'EINVAL');
      const bytes = Buffer.from(input, 'utf8');
      // The last byte must stay NUL: the kernel reads C strings (TCP names: at most 15 bytes).
      if (bytes.length > m.size - 1) {
        throw new ShadowWriteError(
          `holds at most ${m.size - 1} bytes plus the terminating NUL, got ${bytes.length} (${JSON.stringify(input)})`, 'ERANGE');
      }
      data.fill(0, m.offset, m.offset + m.size);
      bytes.copy(data, m.offset);
      return;
    }
    case 'bitfield':
      throw new ShadowWriteError('is a bitfield and is read-only: the kernel struct_ops loader rejects bitfield members', 'EOPNOTSUPP');
    case 'raw':
      throw new ShadowWriteError(
        `is a ${m.what} and is read-only (reads give a copy of its bytes); only integers, enums, bools, chars, ` +
        'floats, char arrays and function pointers can be set', 'EOPNOTSUPP');
    case 'program':
      throw new Error('function pointers are written through the program bindings');
  }
}

function toInteger(m: IntegerMember, input: unknown): bigint {
  const { min, max } = integerRange(m);
  const allowed = `an integer in ${min}..${max}`;
  let v: bigint;
  if (typeof input === 'bigint') v = input;
  else if (typeof input === 'number' && Number.isInteger(input)) {
    // Beyond 2^53 a number has already lost digits; make the caller say exactly what they mean.
    if (!Number.isSafeInteger(input)) throw new ShadowWriteError(`takes ${allowed}; ${input} is not a safe integer, pass a bigint`, 'ERANGE');
    v = BigInt(input);
  } else {
    throw new ShadowWriteError(`takes ${allowed}${m.wide ? ' (a bigint)' : ''}, got ${show(input)}`, 'EINVAL');
  }
  if (v < min || v > max) throw new ShadowWriteError(`takes ${allowed}, got ${v}`, 'ERANGE');
  return v;
}

function readInt(data: Buffer, offset: number, size: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[offset + i]);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

function writeInt(data: Buffer, offset: number, size: number, v: bigint): void {
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    data[offset + i] = Number(u & 0xffn);
    u >>= 8n;
  }
}

/** Short description of a rejected input for messages. */
export function show(input: unknown): string {
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}`;
  if (typeof input === 'bigint') return `${input}n`;
  if (input === null) return 'null';
  if (input === undefined) return 'undefined';
  if (Buffer.isBuffer(input)) return `a Buffer of ${input.length} bytes`;
  if (typeof input === 'object') return `an object (${(input as object).constructor?.name ?? 'Object'})`;
  return `${typeof input} ${String(input)}`;
}
