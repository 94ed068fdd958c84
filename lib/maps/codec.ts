// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Typed keys and values of a map through the object's BTF. Decoding is the object's one
 * BTF reader (lib/btf/value.ts: ints as number, 64-bit as bigint, structs as objects);
 * encoding writes every scalar through the shadow codec (lib/shadow/codec.ts),
 * the same checks that guard global data and struct_ops values, and only walks structs and
 * arrays here.
 */
import { BpfError } from '../errors';
import { Btf, BtfKind, decodeValue, type DecodedValue } from '../btf';
import { ShadowWriteError, valueLayout, writeMember } from '../shadow';

/** What a typed key or value may be given as: a decoded value, or raw bytes. */
export type MapInput = DecodedValue | Buffer;

const MAX_DEPTH = 32;

/** Decodes `bytes` as BTF type `typeId`, or returns a copy of the bytes without a type. */
export function decodeTyped(btf: Btf | undefined, typeId: number, bytes: Buffer): DecodedValue | Buffer {
  if (!btf || typeId === 0) return Buffer.from(bytes);
  return decodeValue(btf, typeId, bytes);
}

/**
 * Writes `input` as BTF type `typeId` into `out` at `offset` (bytes not named stay zero).
 * @throws {BpfError} EINVAL/ERANGE naming the member path when a value does not fit its C type
 */
export function encodeTyped(btf: Btf, typeId: number, input: unknown, out: Buffer, offset: number, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) throw new BpfError(`${path}: type nests deeper than ${MAX_DEPTH}`, { code: 'EINVAL' });
  const t = btf.resolve(typeId);
  if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
    if (typeof input !== 'object' || input === null || Array.isArray(input) || Buffer.isBuffer(input)) {
      throw new BpfError(`${path} (${btf.typeName(typeId)}) takes an object of members`, { code: 'EINVAL' });
    }
    const members = new Map(t.members.map((m, i) => [m.name || `__anon${i}`, m]));
    for (const [name, v] of Object.entries(input as Record<string, unknown>)) {
      const m = members.get(name);
      if (!m) {
        throw new BpfError(`${path} (${btf.typeName(typeId)}) has no member ${name}`, {
          code: 'ENOENT', hint: `members: ${[...members.keys()].join(', ')}`,
        });
      }
      if (m.bitfieldSize > 0) {
        writeScalar({ name, index: 0, offset: 0, size: 0, cType: btf.typeName(m.type), kind: 'bitfield', bitOffset: offset * 8 + m.bitOffset, bits: m.bitfieldSize }, out, v, `${path}.${name}`);
        continue;
      }
      encodeTyped(btf, m.type, v, out, offset + m.bitOffset / 8, `${path}.${name}`, depth + 1);
    }
    return;
  }
  if (t.kind === BtfKind.ARRAY && Array.isArray(input)) {
    const size = btf.sizeOf(t.elemType);
    if (input.length > t.nelems) {
      throw new BpfError(`${path} (${btf.typeName(typeId)}) holds ${t.nelems} elements, got ${input.length}`, { code: 'ERANGE' });
    }
    input.forEach((v, i) => encodeTyped(btf, t.elemType, v, out, offset + i * size, `${path}[${i}]`, depth + 1));
    return;
  }
  if (Buffer.isBuffer(input)) {
    const size = btf.sizeOf(typeId);
    if (input.length !== size) throw new BpfError(`${path} (${btf.typeName(typeId)}) takes ${size} bytes, got ${input.length}`, { code: 'EINVAL' });
    input.copy(out, offset);
    return;
  }
  writeScalar(valueLayout(btf, typeId, path, offset), out, input, path);
}

function writeScalar(layout: Parameters<typeof writeMember>[0], out: Buffer, input: unknown, path: string): void {
  if (layout.kind === 'raw' || layout.kind === 'program') {
    throw new BpfError(`${path} (${layout.cType}) takes raw bytes (a Buffer)`, { code: 'EINVAL' });
  }
  try {
    writeMember(layout, out, input);
  } catch (err) {
    if (!(err instanceof ShadowWriteError)) throw err;
    throw new BpfError(`${path} (${layout.cType}) ${err.why}`, { code: err.code });
  }
}

function isSummable(v: DecodedValue): boolean {
  if (typeof v === 'bigint') return true;
  if (typeof v === 'number') return Number.isInteger(v);
  if (Array.isArray(v)) return v.length > 0 && v.every(isSummable);
  return typeof v === 'object' && v !== null && Object.values(v).some(isSummable);
}

/**
 * Adds integer counters: numbers and bigints sum as bigint, objects and arrays member by
 * member (members that are no integers, such as strings, are left out).
 */
export function sumCounters(values: (DecodedValue | Buffer)[], path: string): DecodedValue {
  const first = values[0];
  if (typeof first === 'number' || typeof first === 'bigint') {
    let total = 0n;
    for (const v of values) {
      if (typeof v === 'number' && Number.isInteger(v)) total += BigInt(v);
      else if (typeof v === 'bigint') total += v;
      else throw new BpfError(`${path}: cannot sum ${typeof v} values`, { code: 'EINVAL' });
    }
    return total;
  }
  if (Array.isArray(first)) {
    return first.map((_, i) => sumCounters(values.map((v) => (v as DecodedValue[])[i]), `${path}[${i}]`));
  }
  if (typeof first === 'object' && first !== null && !Buffer.isBuffer(first)) {
    const out: { [k: string]: DecodedValue } = {};
    for (const [k, v] of Object.entries(first)) {
      // Members that are no counters (strings, floats, bools) have no sum; they are left out.
      if (!isSummable(v)) continue;
      out[k] = sumCounters(values.map((v) => (v as { [k: string]: DecodedValue })[k]), `${path}.${k}`);
    }
    return out;
  }
  throw new BpfError(`${path}: only integer counters (and structs/arrays of them) can be summed`, {
    code: 'EINVAL', hint: 'the value type has no BTF integer type',
  });
}
