// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Values read through BTF: bytes of a type as plain JS (what a map holds, a struct_ops
 * member, a ring buffer record). Pure, like the rest of this room.
 */
import type { Btf } from './btf';
import { BtfKind, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_INT_BOOL } from './types';

/** A value decoded through BTF. */
export type DecodedValue = number | bigint | boolean | string | DecodedValue[] | { [member: string]: DecodedValue } | null;

const MAX_DEPTH = 32;

/**
 * Decodes `bytes` as BTF type `typeId`: ints (number, or bigint beyond 32 bits), bools,
 * enums (the enumerator name when known), char arrays (NUL-terminated string), other arrays,
 * structs/unions (objects by member, bitfields included) and pointers (bigint address).
 */
export function decodeValue(btf: Btf, typeId: number, bytes: Buffer, depth = 0): DecodedValue {
  if (depth > MAX_DEPTH) return null;
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case BtfKind.INT: {
      if (t.encoding & BTF_INT_BOOL) return bytes[0] !== 0;
      return readInt(bytes, t.size, (t.encoding & BTF_INT_SIGNED) !== 0);
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const raw = readInt(bytes, t.size, t.signed);
      const hit = t.values.find((v) => BigInt(v.value) === BigInt(raw));
      return hit ? hit.name : raw;
    }
    case BtfKind.PTR:
      return bytes.length >= 8 ? bytes.readBigUInt64LE(0) : null;
    case BtfKind.FLOAT:
      return t.size === 4 ? bytes.readFloatLE(0) : t.size === 8 ? bytes.readDoubleLE(0) : null;
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.elemType);
      if (elem.kind === BtfKind.INT && elem.size === 1 && (elem.encoding & BTF_INT_CHAR || elem.name === 'char')) {
        const end = bytes.indexOf(0);
        return bytes.subarray(0, end < 0 ? Math.min(bytes.length, t.nelems) : end).toString('latin1');
      }
      const size = btf.sizeOf(t.elemType);
      const out: DecodedValue[] = [];
      for (let i = 0; i < t.nelems && (i + 1) * size <= bytes.length; i++) {
        out.push(decodeValue(btf, t.elemType, bytes.subarray(i * size, (i + 1) * size), depth + 1));
      }
      return out;
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const out: { [member: string]: DecodedValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name || `__anon${i}`;
        if (m.bitfieldSize > 0) {
          out[name] = readBits(bytes, m.bitOffset, m.bitfieldSize);
          return;
        }
        const start = m.bitOffset / 8;
        const size = btf.sizeOf(m.type);
        if (start + size <= bytes.length) out[name] = decodeValue(btf, m.type, bytes.subarray(start, start + size), depth + 1);
      });
      return out;
    }
    default:
      return null;
  }
}

function readInt(bytes: Buffer, size: number, signed: boolean): number | bigint {
  switch (size) {
    case 1: return signed ? bytes.readInt8(0) : bytes.readUInt8(0);
    case 2: return signed ? bytes.readInt16LE(0) : bytes.readUInt16LE(0);
    case 4: return signed ? bytes.readInt32LE(0) : bytes.readUInt32LE(0);
    case 8: return signed ? bytes.readBigInt64LE(0) : bytes.readBigUInt64LE(0);
    default: {
      let v = 0n;
      for (let i = Math.min(size, bytes.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
      return v;
    }
  }
}

function readBits(bytes: Buffer, bitOffset: number, bits: number): number {
  let v = 0;
  for (let i = 0; i < bits; i++) {
    const bit = bitOffset + i;
    if ((bytes[bit >> 3] >> (bit & 7)) & 1) v += 2 ** i;
  }
  return v;
}
