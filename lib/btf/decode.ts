// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Decodes one type record into the BtfType model. The scanner already checked that the
 * record fits; this checks what only matters once a record is read: name offsets,
 * referenced type ids and kind-specific fields.
 */
import { malformed } from '../errors';
import { BTF_TYPE_HEADER_SIZE, kindName } from './kinds';
import type { StringTable } from './strings';
import {
  BtfKind,
  type BtfDeclTag,
  type BtfEnumValue,
  type BtfMember,
  type BtfParam,
  type BtfRef,
  type BtfType,
  type BtfVarSecinfo,
} from './types';

/** What the decoder needs from the BTF being read. */
export interface DecodeContext {
  data: Buffer;
  /** The type section as words (records are read through this, not through `data`). */
  words: Uint32Array;
  /** Absolute byte offset of the type section in `data` (where `words` starts). */
  typeStart: number;
  strings: StringTable;
  /** Highest valid type id + 1 (references must stay below it). */
  typeCount: number;
  /** Blob name for error messages. */
  name: string;
}

/** The void type (id 0), shared because it carries nothing. */
export const VOID_TYPE: BtfType = Object.freeze({ id: 0, kind: BtfKind.UNKN, nameOff: 0, name: '' }) as BtfType;

/** Bits of INT data that carry nothing (between BITS and OFFSET, above ENCODING). */
const INT_RESERVED = 0xf000ff00;

/**
 * Decodes the record with the given id starting at `off`.
 *
 * @param ctx - blob, strings and id range
 * @param id - the record's type id
 * @param off - absolute byte offset of the record (from the scanner)
 * @returns a fresh BtfType
 * @throws BpfError (EINVAL) naming the type id and byte offset of a bad name offset,
 *   out-of-range type reference or invalid kind-specific field
 */
export function decodeType(ctx: DecodeContext, id: number, off: number): BtfType {
  // Typed-array reads: far cheaper than Buffer.readUInt32LE while the code is still cold.
  const { words, typeStart: ts } = ctx;
  const nameOff = words[(off - ts) >>> 2];
  const info = words[(off + 4 - ts) >>> 2];
  const sizeType = words[(off + 8 - ts) >>> 2];
  const kind = ((info >>> 24) & 0x1f) as BtfKind;
  const vlen = info & 0xffff;
  const kflag = info >= 0x80000000;
  const name = nameOff === 0 ? '' : str(ctx, nameOff, id, off);
  const p = off + BTF_TYPE_HEADER_SIZE;
  // Read once: for a lazily scanned blob this is a getter.
  const typeCount = ctx.typeCount;
  const ref = (t: number, at: number): number => (t < typeCount ? t : refError(ctx, t, id, at));

  switch (kind) {
    case BtfKind.INT: {
      const bits32 = words[(p - ts) >>> 2];
      const bits = bits32 & 0xff;
      const bitOffset = (bits32 >>> 16) & 0xff;
      if ((bits32 & INT_RESERVED) !== 0 || bits > 128 || bitOffset + bits > sizeType * 8) {
        throw bad(ctx, id, p, `int data 0x${bits32.toString(16)} invalid for size ${sizeType}`);
      }
      return { id, kind, nameOff, name, size: sizeType, encoding: bits32 >>> 24, bitOffset, bits };
    }
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
      return { id, kind, nameOff, name, type: ref(sizeType, off + 8) };
    case BtfKind.TYPE_TAG: {
      const t: BtfRef = { id, kind, nameOff, name, type: ref(sizeType, off + 8) };
      // kind_flag on a tag marks an __attribute__-style tag (Linux 6.14); keep it for round trips.
      if (kflag) t.kindFlag = true;
      return t;
    }
    case BtfKind.ARRAY: {
      if (sizeType !== 0) throw bad(ctx, id, off + 8, 'array size/type field must be 0');
      const elemType = ref(words[(p - ts) >>> 2], p);
      const indexType = ref(words[(p + 4 - ts) >>> 2], p + 4);
      return { id, kind, nameOff, name, elemType, indexType, nelems: words[(p + 8 - ts) >>> 2] };
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      // The hot case (kernel structs have up to a few hundred members): one loop, no calls
      // but the string reads.
      const members: BtfMember[] = new Array(vlen);
      const strings = ctx.strings;
      for (let i = 0, m = p; i < vlen; i++, m += 12) {
        const mNameOff = words[(m - ts) >>> 2];
        const type = words[(m + 4 - ts) >>> 2];
        const raw = words[(m + 8 - ts) >>> 2];
        if (type >= typeCount) refError(ctx, type, id, m + 4);
        members[i] = {
          nameOff: mNameOff,
          name: mNameOff === 0 ? '' : strings.has(mNameOff) ? strings.stringAt(mNameOff, id) : str(ctx, mNameOff, id, m),
          type,
          bitOffset: kflag ? raw & 0xffffff : raw,
          bitfieldSize: kflag ? raw >>> 24 : 0,
        };
      }
      return { id, kind, nameOff, name, size: sizeType, kindFlag: kflag, members };
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const values: BtfEnumValue[] = new Array(vlen);
      const step = kind === BtfKind.ENUM ? 8 : 12;
      for (let i = 0; i < vlen; i++) {
        const v = p + i * step;
        const vNameOff = words[(v - ts) >>> 2];
        let value: number | bigint;
        if (kind === BtfKind.ENUM) {
          value = kflag ? (words[(v + 4 - ts) >>> 2] | 0) : words[(v + 4 - ts) >>> 2];
        } else {
          const u = (BigInt(words[(v + 8 - ts) >>> 2]) << 32n) | BigInt(words[(v + 4 - ts) >>> 2]);
          value = kflag ? BigInt.asIntN(64, u) : u;
        }
        values[i] = { nameOff: vNameOff, name: str(ctx, vNameOff, id, v), value };
      }
      return { id, kind, nameOff, name, size: sizeType, signed: kflag, values };
    }
    case BtfKind.FWD:
      if (sizeType !== 0) throw bad(ctx, id, off + 8, 'fwd size/type field must be 0');
      return { id, kind, nameOff, name, union: kflag };
    case BtfKind.FUNC:
      return { id, kind, nameOff, name, type: ref(sizeType, off + 8), linkage: vlen };
    case BtfKind.FUNC_PROTO: {
      const params: BtfParam[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const q = p + i * 8;
        const pNameOff = words[(q - ts) >>> 2];
        params[i] = { nameOff: pNameOff, name: str(ctx, pNameOff, id, q), type: ref(words[(q + 4 - ts) >>> 2], q + 4) };
      }
      return { id, kind, nameOff, name, returnType: ref(sizeType, off + 8), params };
    }
    case BtfKind.VAR:
      return { id, kind, nameOff, name, type: ref(sizeType, off + 8), linkage: words[(p - ts) >>> 2] };
    case BtfKind.DATASEC: {
      const vars: BtfVarSecinfo[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const v = p + i * 12;
        vars[i] = { type: ref(words[(v - ts) >>> 2], v), offset: words[(v + 4 - ts) >>> 2], size: words[(v + 8 - ts) >>> 2] };
      }
      return { id, kind, nameOff, name, size: sizeType, vars };
    }
    case BtfKind.FLOAT:
      return { id, kind, nameOff, name, size: sizeType };
    case BtfKind.DECL_TAG: {
      const componentIdx = (words[(p - ts) >>> 2] | 0);
      if (componentIdx < -1) throw bad(ctx, id, p, `decl_tag component_idx ${componentIdx} < -1`);
      const t: BtfDeclTag = { id, kind, nameOff, name, type: ref(sizeType, off + 8), componentIdx };
      if (kflag) t.kindFlag = true;
      return t;
    }
    default:
      // The scanner rejects other kinds; this guards records handed in some other way.
      throw bad(ctx, id, off + 4, `unknown kind ${kindName(kind)}`);
  }
}

function str(ctx: DecodeContext, off: number, id: number, at: number): string {
  if (!ctx.strings.has(off)) {
    throw bad(ctx, id, at, `string offset ${off} out of range (${ctx.strings.totalLength} bytes)`);
  }
  return ctx.strings.stringAt(off, id);
}

function refError(ctx: DecodeContext, t: number, id: number, at: number): never {
  throw bad(ctx, id, at, `references type ${t} beyond last id ${ctx.typeCount - 1}`);
}

function bad(ctx: DecodeContext, id: number, at: number, what: string): Error {
  return malformed(`btf ${ctx.name}: type ${id}: ${what}`, { typeId: id, offset: at });
}
