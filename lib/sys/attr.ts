// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Field tables: how each command file declares its slice of union bpf_attr (or of a
 * bpf_*_info struct) once, by name, offset and kind. Offsets appear only in those tables;
 * this file turns a table plus values into attr bytes, and info bytes back into values.
 */
import { LITTLE_ENDIAN } from './host';
import { BpfError } from '../errors';
import { bpfCmdName } from './constants';
import { Fd } from './fd';

/** An fd argument: an owned {@link Fd}, or a raw descriptor number the caller keeps owning. */
export type FdLike = Fd | number;

/** Kinds of attr input fields. `str` and `ptr` go to `buffers[buffer]`; native writes the address. */
export type InKind = 'u32' | 'fd' | 'u64' | 'objName' | 'str' | 'ptr';

/** Any attr input field, as the encoder sees it. */
export interface InField {
  readonly offset: number;
  readonly kind: InKind;
  /** Index into the Buffer list passed to native (`str` and `ptr` only). */
  readonly buffer?: number;
}

/** The field a value type allows: Buffers are pointers, strings names or C strings, etc. */
export type InFieldFor<V> = [V] extends [Buffer]
  ? InField & { kind: 'ptr'; buffer: number }
  : [V] extends [string]
    ? InField & ({ kind: 'objName' } | { kind: 'str'; buffer: number })
    : [V] extends [bigint]
      ? InField & { kind: 'u64' }
      : [V] extends [number]
        ? InField & { kind: 'u32' | 'fd' | 'u64' }
        : [V] extends [FdLike]
          ? InField & { kind: 'fd' }
          : never;

/** One field per property of T, typed by the property's value (ky-style mapped table). */
export type InTable<T> = { readonly [K in keyof T]-?: InFieldFor<NonNullable<T[K]>> };

/** A command's attr layout: bytes JS sends and its field table. */
export interface AttrLayout<T> {
  readonly size: number;
  readonly fields: InTable<T>;
}

/** Kinds of info output fields. */
export type OutKind = 'u32' | 'u64' | 'objName' | 'hex' | 'bool';

/** Any info output field, as the decoder sees it. */
export interface OutField {
  readonly offset: number;
  readonly kind: OutKind;
  /** Byte size of `objName`/`hex` fields. */
  readonly size?: number;
}

/** The field a decoded value type allows. */
export type OutFieldFor<V> = [V] extends [boolean]
  ? OutField & { kind: 'bool' }
  : [V] extends [number]
    ? OutField & { kind: 'u32' }
    : [V] extends [bigint]
      ? OutField & { kind: 'u64' }
      : [V] extends [string]
        ? OutField & { kind: 'objName' | 'hex'; size: number }
        : never;

/** One output field per property of T. */
export type OutTable<T> = { readonly [K in keyof T]-?: OutFieldFor<T[K]> };

/** A member of a generated UAPI layout (lib/sys/abi.generated.ts) of byte size S. */
export interface AbiMember<S extends number = number> {
  readonly offset: number;
  readonly size: S;
}

// Table builders over generated members: the member's size type must match the kind, so
// `u32()` on a u64 member does not compile.

/** A u32 attr input at a generated member. */
export function u32(m: AbiMember<4>): InField & { kind: 'u32' } {
  return { offset: m.offset, kind: 'u32' };
}

/** A u64 attr input (bigint or safe integer) at a generated member. */
export function u64(m: AbiMember<8>): InField & { kind: 'u64' } {
  return { offset: m.offset, kind: 'u64' };
}

/** An fd attr input (u32 or s32 member). */
export function fd(m: AbiMember<4>): InField & { kind: 'fd' } {
  return { offset: m.offset, kind: 'fd' };
}

/** A u64 user-pointer member filled by native from `buffers[buffer]`. */
export function ptr(m: AbiMember<8>, buffer: number): InField & { kind: 'ptr'; buffer: number } {
  return { offset: m.offset, kind: 'ptr', buffer };
}

/** A u64 pointer to a NUL-terminated string, filled by native from `buffers[buffer]`. */
export function str(m: AbiMember<8>, buffer: number): InField & { kind: 'str'; buffer: number } {
  return { offset: m.offset, kind: 'str', buffer };
}

/** A `char name[BPF_OBJ_NAME_LEN]` member written in place. */
export function objName(m: AbiMember<16>): InField & { kind: 'objName' } {
  return { offset: m.offset, kind: 'objName' };
}

/** A u32 info output. */
export function outU32(m: AbiMember<4>): OutField & { kind: 'u32' } {
  return { offset: m.offset, kind: 'u32' };
}

/** A u64 info output. */
export function outU64(m: AbiMember<8>): OutField & { kind: 'u64' } {
  return { offset: m.offset, kind: 'u64' };
}

/** A u32 info output read as a boolean. */
export function outBool(m: AbiMember<4>): OutField & { kind: 'bool' } {
  return { offset: m.offset, kind: 'bool' };
}

/** A byte-array info output as hex (e.g. the 8-byte prog tag). */
export function outHex(m: AbiMember): OutField & { kind: 'hex'; size: number } {
  return { offset: m.offset, kind: 'hex', size: m.size };
}

/** A `char name[BPF_OBJ_NAME_LEN]` info output. */
export function outName(m: AbiMember<16>): OutField & { kind: 'objName'; size: number } {
  return { offset: m.offset, kind: 'objName', size: m.size };
}

/** Bytes plus the Buffers native fills pointer fields from. */
export interface EncodedAttr {
  readonly attr: Buffer;
  readonly buffers: (Buffer | null)[];
}

// The kernel reads attr in host byte order.
const LE = LITTLE_ENDIAN;
const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const OBJ_NAME_LEN = 16;

/** Reads a host-order u32. */
export function getU32(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

/** Reads a host-order u64. */
export function getU64(buf: Buffer, offset: number): bigint {
  return LE ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset);
}

/** Writes a host-order u32. */
export function setU32(buf: Buffer, offset: number, value: number): void {
  if (LE) buf.writeUInt32LE(value, offset);
  else buf.writeUInt32BE(value, offset);
}

function setU64(buf: Buffer, offset: number, value: bigint): void {
  if (LE) buf.writeBigUInt64LE(value, offset);
  else buf.writeBigUInt64BE(value, offset);
}

/** The raw number of an fd argument (throws EBADF for a closed Fd). */
export function rawFd(fd: FdLike): number {
  if (fd instanceof Fd) return fd.raw;
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) {
    throw new BpfError(`invalid file descriptor ${String(fd)}`, { code: 'EBADF' });
  }
  return fd;
}

function bad(command: number, name: string, what: string, value: unknown): BpfError {
  return new BpfError(`${bpfCmdName(command)}: expected "${name}" to be ${what}, got ${String(value)}`, {
    code: 'EINVAL',
    command: bpfCmdName(command),
  });
}

function u32Of(command: number, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw bad(command, name, 'a u32 integer', value);
  }
  return value;
}

function u64Of(command: number, name: string, value: unknown): bigint {
  const big = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof big !== 'bigint' || big < 0n || big > U64_MAX) throw bad(command, name, 'a u64', value);
  return big;
}

function writeField(command: number, enc: EncodedAttr, name: string, field: InField, value: unknown): void {
  const { attr, buffers } = enc;
  switch (field.kind) {
    case 'u32':
      setU32(attr, field.offset, u32Of(command, name, value));
      return;
    case 'fd':
      if (!(value instanceof Fd) && typeof value !== 'number') throw bad(command, name, 'an Fd or fd number', value);
      setU32(attr, field.offset, rawFd(value));
      return;
    case 'u64':
      setU64(attr, field.offset, u64Of(command, name, value));
      return;
    case 'objName': {
      if (typeof value !== 'string') throw bad(command, name, 'a string', value);
      // The kernel keeps 15 bytes plus NUL (BPF_OBJ_NAME_LEN); longer names are cut like libbpf does.
      Buffer.from(value, 'utf8').copy(attr, field.offset, 0, OBJ_NAME_LEN - 1);
      return;
    }
    case 'str':
      if (typeof value !== 'string' || value.includes('\0')) throw bad(command, name, 'a string without NUL', value);
      buffers[field.buffer ?? 0] = Buffer.from(`${value}\0`, 'utf8');
      return;
    case 'ptr':
      if (!Buffer.isBuffer(value)) throw bad(command, name, 'a Buffer', value);
      buffers[field.buffer ?? 0] = value;
      return;
  }
}

/**
 * Encodes `values` with a command's layout. Undefined/null values stay zero; pointer
 * fields stay zero in the bytes (native fills them from `buffers`).
 * @throws {BpfError} EINVAL naming the field when a value has the wrong type or range.
 */
export function encodeAttr<T extends object>(command: number, layout: AttrLayout<T>, values: T): EncodedAttr {
  const enc: EncodedAttr = { attr: Buffer.alloc(layout.size), buffers: [] };
  const fields = layout.fields as Readonly<Record<string, InField>>;
  const given = values as Readonly<Record<string, unknown>>;
  for (const [name, field] of Object.entries(fields)) {
    const value = given[name];
    if (value !== undefined && value !== null) writeField(command, enc, name, field, value);
  }
  // Native takes a dense list; holes become null.
  for (let i = 0; i < enc.buffers.length; i++) enc.buffers[i] ??= null;
  return enc;
}

function readField(bytes: Buffer, field: OutField): number | bigint | string | boolean {
  switch (field.kind) {
    case 'u32':
      return getU32(bytes, field.offset);
    case 'u64':
      return getU64(bytes, field.offset);
    case 'bool':
      return getU32(bytes, field.offset) !== 0;
    case 'hex':
      return bytes.subarray(field.offset, field.offset + (field.size ?? 0)).toString('hex');
    case 'objName': {
      const raw = bytes.subarray(field.offset, field.offset + (field.size ?? OBJ_NAME_LEN));
      const end = raw.indexOf(0);
      return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
    }
  }
}

/** Decodes an info struct with its output table. Fields past what an older kernel filled read as 0. */
export function decodeFields<T>(table: OutTable<T>, bytes: Buffer): T {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(table as Readonly<Record<string, OutField>>)) {
    out[name] = readField(bytes, field);
  }
  return out as T;
}
