// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The BTF header (`struct btf_header` in linux/btf.h): where the type and string
 * sections live inside a blob. Everything here is bounds-checked, since every later
 * read trusts these numbers.
 */
import { malformed } from '../errors';

/** BTF magic as stored little-endian (bytes 9f eb). */
export const BTF_MAGIC = 0xeb9f;
/** The only BTF version defined so far. */
export const BTF_VERSION = 1;
/** Size of the header this library writes; older/newer producers may use a larger hdr_len. */
export const BTF_HEADER_SIZE = 24;

/** Decoded header with section bounds as absolute offsets into the blob. */
export interface BtfHeader {
  /** Header length in bytes (hdr_len). */
  hdrLen: number;
  /** Header flags (must be 0). */
  flags: number;
  /** Absolute byte offset of the type section. */
  typeStart: number;
  /** Type section length in bytes. */
  typeLen: number;
  /** Absolute byte offset of the string section. */
  strStart: number;
  /** String section length in bytes. */
  strLen: number;
}

/**
 * Reads and validates a BTF header.
 *
 * @param data - the whole blob
 * @param name - blob name used in error messages
 * @returns section bounds, all within `data`
 * @throws BpfError (EINVAL) naming the bad byte offset for a truncated or inconsistent header,
 *   a big-endian blob, or an unknown version
 */
export function parseHeader(data: Buffer, name: string): BtfHeader {
  if (data.length < BTF_HEADER_SIZE) {
    throw malformed(`btf ${name}: header truncated (${data.length} of ${BTF_HEADER_SIZE} bytes)`, {
      offset: data.length,
    });
  }
  const magic = data.readUInt16LE(0);
  if (magic !== BTF_MAGIC) {
    // A big-endian producer writes the magic as eb 9f; tell the user instead of failing later.
    const hint = magic === 0x9feb ? ' (big-endian BTF is not supported)' : '';
    throw malformed(`btf ${name}: bad magic 0x${magic.toString(16)}${hint}`, { offset: 0 });
  }
  const version = data.readUInt8(2);
  if (version !== BTF_VERSION) throw malformed(`btf ${name}: unsupported version ${version}`, { offset: 2 });
  const flags = data.readUInt8(3);
  if (flags !== 0) throw malformed(`btf ${name}: unsupported header flags 0x${flags.toString(16)}`, { offset: 3 });
  const hdrLen = data.readUInt32LE(4);
  if (hdrLen < BTF_HEADER_SIZE || hdrLen > data.length) {
    throw malformed(`btf ${name}: bad hdr_len ${hdrLen} (blob is ${data.length} bytes)`, { offset: 4 });
  }
  // The kernel refuses unknown header fields it cannot interpret; so do we.
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (data[i] !== 0) throw malformed(`btf ${name}: unknown non-zero header byte`, { offset: i });
  }
  const typeOff = data.readUInt32LE(8);
  const typeLen = data.readUInt32LE(12);
  const strOff = data.readUInt32LE(16);
  const strLen = data.readUInt32LE(20);
  const body = data.length - hdrLen;
  if (typeOff % 4 !== 0 || typeLen % 4 !== 0) {
    throw malformed(`btf ${name}: type section not 4-byte aligned (off ${typeOff}, len ${typeLen})`, { offset: 8 });
  }
  if (typeOff > body || typeLen > body - typeOff) {
    throw malformed(`btf ${name}: type section [${typeOff}, +${typeLen}) past end of ${body}-byte body`, {
      offset: 12,
    });
  }
  if (strOff > body || strLen > body - strOff) {
    throw malformed(`btf ${name}: string section [${strOff}, +${strLen}) past end of ${body}-byte body`, {
      offset: 20,
    });
  }
  if (strOff < typeOff + typeLen && typeOff < strOff + strLen) {
    throw malformed(`btf ${name}: type and string sections overlap`, { offset: 16 });
  }
  return { hdrLen, flags, typeStart: hdrLen + typeOff, typeLen, strStart: hdrLen + strOff, strLen };
}

/**
 * Writes a 24-byte header for a blob laid out as header, types, strings.
 *
 * @param out - destination, at least 24 bytes
 * @param typeLen - type section length
 * @param strLen - string section length
 */
export function writeHeader(out: Buffer, typeLen: number, strLen: number): void {
  out.writeUInt16LE(BTF_MAGIC, 0);
  out.writeUInt8(BTF_VERSION, 2);
  out.writeUInt8(0, 3);
  out.writeUInt32LE(BTF_HEADER_SIZE, 4);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(typeLen, 12);
  out.writeUInt32LE(typeLen, 16);
  out.writeUInt32LE(strLen, 20);
}
