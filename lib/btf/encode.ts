// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Writes BtfType values back into type-section records: the inverse of decode.ts. Every
 * field is range-checked, because a value that silently wrapped here would make the
 * kernel reject (or misread) the whole blob at BPF_BTF_LOAD.
 */
import { malformed } from '../errors';
import { BTF_TYPE_HEADER_SIZE, kindName, recordTailSize } from './kinds';
import { BtfKind, type BtfType } from './types';

/** Maps a (name, nameOff) pair to the name offset to write. */
export type NameResolver = (name: string, nameOff: number) => number;

/**
 * Returns the encoded size of a type record in bytes.
 *
 * @throws BpfError (EINVAL) for void or a kind that has no record
 */
export function encodedSize(t: BtfType): number {
  const tail = recordTailSize(t.kind, vlenOf(t));
  if (tail < 0) throw malformed(`btf encode: type ${t.id} has no record (kind ${kindName(t.kind)})`, { typeId: t.id });
  return BTF_TYPE_HEADER_SIZE + tail;
}

function vlenOf(t: BtfType): number {
  switch (t.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return t.members.length;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return t.values.length;
    case BtfKind.FUNC_PROTO:
      return t.params.length;
    case BtfKind.DATASEC:
      return t.vars.length;
    default:
      return 0;
  }
}

/**
 * Writes one record at `pos` and returns the position after it.
 *
 * @param out - destination with room for {@link encodedSize} bytes
 * @param pos - where the record starts
 * @param t - the type (one {@link encodedSize} accepted)
 * @param nameOf - gives the string offset for each name written
 * @throws BpfError (EINVAL, typeId set) when a field does not fit its encoding
 */
export function writeType(out: Buffer, pos: number, t: BtfType, nameOf: NameResolver): number {
  const id = t.id;
  const u32 = (v: number, what: string): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw malformed(`btf encode: type ${id}: ${what} ${String(v)} is not a u32`, { typeId: id });
    }
    return v;
  };
  const vlen = vlenOf(t);
  if (vlen > 0xffff) throw malformed(`btf encode: type ${id}: ${vlen} entries exceed vlen 65535`, { typeId: id });
  let kflag = false;
  let small = vlen;
  let sizeType = 0;
  let p = pos + BTF_TYPE_HEADER_SIZE;

  switch (t.kind) {
    case BtfKind.INT: {
      if (t.encoding > 0xf || t.bitOffset > 0xff || t.bits > 0xff || t.encoding < 0 || t.bitOffset < 0 || t.bits < 0) {
        throw malformed(`btf encode: type ${id}: int encoding/offset/bits out of range`, { typeId: id });
      }
      sizeType = u32(t.size, 'size');
      out.writeUInt32LE(((t.encoding << 24) | (t.bitOffset << 16) | t.bits) >>> 0, p);
      p += 4;
      break;
    }
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
      sizeType = u32(t.type, 'type');
      kflag = t.kind === BtfKind.TYPE_TAG && t.kindFlag === true;
      break;
    case BtfKind.ARRAY:
      out.writeUInt32LE(u32(t.elemType, 'elem type'), p);
      out.writeUInt32LE(u32(t.indexType, 'index type'), p + 4);
      out.writeUInt32LE(u32(t.nelems, 'nelems'), p + 8);
      p += 12;
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      sizeType = u32(t.size, 'size');
      kflag = t.kindFlag;
      for (const m of t.members) {
        let off = u32(m.bitOffset, `member ${m.name} bit offset`);
        if (kflag) {
          // With kind_flag the offset field packs bitfield_size<<24 | bit_offset (24 bits).
          if (off > 0xffffff || m.bitfieldSize < 0 || m.bitfieldSize > 0xff) {
            throw malformed(`btf encode: type ${id}: member ${m.name} offset/bitfield too large for kind_flag`, {
              typeId: id,
            });
          }
          off = ((m.bitfieldSize << 24) | off) >>> 0;
        } else if (m.bitfieldSize !== 0) {
          throw malformed(`btf encode: type ${id}: member ${m.name} is a bitfield but kindFlag is false`, {
            typeId: id,
          });
        }
        out.writeUInt32LE(nameOf(m.name, m.nameOff), p);
        out.writeUInt32LE(u32(m.type, `member ${m.name} type`), p + 4);
        out.writeUInt32LE(off, p + 8);
        p += 12;
      }
      break;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      sizeType = u32(t.size, 'size');
      kflag = t.signed;
      for (const v of t.values) {
        out.writeUInt32LE(nameOf(v.name, v.nameOff), p);
        if (typeof v.value === 'number' && !Number.isSafeInteger(v.value)) {
          throw malformed(`btf encode: type ${id}: enum value ${v.name} is not an integer`, { typeId: id });
        }
        const big = typeof v.value === 'bigint' ? v.value : BigInt(v.value);
        const fits = t.kind === BtfKind.ENUM64 ? big >= -(1n << 63n) && big < 1n << 64n : big >= -(1n << 31n) && big < 1n << 32n;
        if (!fits) throw malformed(`btf encode: type ${id}: enum value ${v.name} does not fit`, { typeId: id });
        // Stored as raw bits; kind_flag alone says whether they read back signed.
        const bits = BigInt.asUintN(64, big);
        out.writeUInt32LE(Number(bits & 0xffffffffn), p + 4);
        if (t.kind === BtfKind.ENUM64) {
          out.writeUInt32LE(Number(bits >> 32n), p + 8);
          p += 12;
        } else {
          p += 8;
        }
      }
      break;
    case BtfKind.FWD:
      kflag = t.union;
      break;
    case BtfKind.FUNC:
      sizeType = u32(t.type, 'type');
      if (!Number.isInteger(t.linkage) || t.linkage < 0 || t.linkage > 0xffff) {
        throw malformed(`btf encode: type ${id}: func linkage ${t.linkage} out of range`, { typeId: id });
      }
      // FUNC keeps its linkage in the vlen bits.
      small = t.linkage;
      break;
    case BtfKind.FUNC_PROTO:
      sizeType = u32(t.returnType, 'return type');
      for (const q of t.params) {
        out.writeUInt32LE(nameOf(q.name, q.nameOff), p);
        out.writeUInt32LE(u32(q.type, `param ${q.name} type`), p + 4);
        p += 8;
      }
      break;
    case BtfKind.VAR:
      sizeType = u32(t.type, 'type');
      out.writeUInt32LE(u32(t.linkage, 'linkage'), p);
      p += 4;
      break;
    case BtfKind.DATASEC:
      sizeType = u32(t.size, 'size');
      for (const v of t.vars) {
        out.writeUInt32LE(u32(v.type, 'var type'), p);
        out.writeUInt32LE(u32(v.offset, 'var offset'), p + 4);
        out.writeUInt32LE(u32(v.size, 'var size'), p + 8);
        p += 12;
      }
      break;
    case BtfKind.FLOAT:
      sizeType = u32(t.size, 'size');
      break;
    case BtfKind.DECL_TAG:
      sizeType = u32(t.type, 'type');
      kflag = t.kindFlag === true;
      if (!Number.isInteger(t.componentIdx) || t.componentIdx < -1 || t.componentIdx > 0x7fffffff) {
        throw malformed(`btf encode: type ${id}: component_idx ${t.componentIdx} out of range`, { typeId: id });
      }
      out.writeInt32LE(t.componentIdx, p);
      p += 4;
      break;
    // No default: every caller sizes each type with encodedSize first, which rejects the
    // kinds this switch lacks (recordTailSize is -1 for exactly those).
  }

  out.writeUInt32LE(nameOf(t.name, t.nameOff), pos);
  out.writeUInt32LE(((kflag ? 0x80000000 : 0) | (t.kind << 24) | small) >>> 0, pos + 4);
  out.writeUInt32LE(sizeType, pos + 8);
  return p;
}
