'use strict';
/**
 * A minimal raw BTF reader for the ABI generator: types with their members, sizes and
 * references, nothing more. It is deliberately separate from lib/btf so the generator
 * runs before any build and the kernel ABI test (which reads the live kernel through
 * lib/btf) checks the generated tables with a second, independent parser.
 */

const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;

// BTF_KIND_* numbers (include/uapi/linux/btf.h).
const KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16,
  DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
};

/** Bytes that follow the 12-byte common record, per kind. */
function trailerSize(kind, vlen) {
  switch (kind) {
    case KIND.INT: case KIND.VAR: case KIND.DECL_TAG: return 4;
    case KIND.ARRAY: return 12;
    case KIND.STRUCT: case KIND.UNION: case KIND.DATASEC: case KIND.ENUM64: return 12 * vlen;
    case KIND.ENUM: case KIND.FUNC_PROTO: return 8 * vlen;
    case KIND.PTR: case KIND.FWD: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST:
    case KIND.RESTRICT: case KIND.FUNC: case KIND.FLOAT: case KIND.TYPE_TAG: return 0;
    default: throw new Error(`unknown BTF kind ${kind}`);
  }
}

function cString(strings, off) {
  if (off >= strings.length) throw new Error(`BTF string offset ${off} out of range`);
  const end = strings.indexOf(0, off);
  return strings.toString('latin1', off, end < 0 ? strings.length : end);
}

/**
 * Parses BTF bytes (little-endian only: the generator's inputs are x86-64/arm64 kernels).
 * @returns {{types: object[], strings: Buffer}} types[0] is void; each type keeps its raw record.
 */
function readBtf(data) {
  if (data.length < HEADER_MIN || data.readUInt16LE(0) !== BTF_MAGIC) throw new Error('not little-endian BTF');
  const hdrLen = data.readUInt32LE(4);
  const typeOff = hdrLen + data.readUInt32LE(8);
  const typeLen = data.readUInt32LE(12);
  const strOff = hdrLen + data.readUInt32LE(16);
  const strLen = data.readUInt32LE(20);
  if (typeOff + typeLen > data.length || strOff + strLen > data.length) throw new Error('BTF sections out of range');
  const strings = data.subarray(strOff, strOff + strLen);
  const types = [{ id: 0, kind: 0, name: '', size: 0 }];
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p < end) {
    const nameOff = data.readUInt32LE(p);
    const info = data.readUInt32LE(p + 4);
    const sizeOrType = data.readUInt32LE(p + 8);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = (info >>> 31) === 1;
    const recLen = 12 + trailerSize(kind, vlen);
    const t = { id: types.length, kind, kindFlag, vlen, name: cString(strings, nameOff), raw: data.subarray(p, p + recLen) };
    const q = p + 12;
    if (kind === KIND.STRUCT || kind === KIND.UNION) {
      t.size = sizeOrType;
      t.members = [];
      for (let i = 0; i < vlen; i++) {
        const m = q + 12 * i;
        const off = data.readUInt32LE(m + 8);
        t.members.push({
          name: cString(strings, data.readUInt32LE(m)),
          type: data.readUInt32LE(m + 4),
          bitOffset: kindFlag ? off & 0xffffff : off,
          bitfieldSize: kindFlag ? off >>> 24 : 0,
        });
      }
    } else if (kind === KIND.ENUM || kind === KIND.ENUM64) {
      t.size = sizeOrType;
      t.values = [];
      for (let i = 0; i < vlen; i++) {
        if (kind === KIND.ENUM) {
          const v = q + 8 * i;
          const value = kindFlag ? data.readInt32LE(v + 4) : data.readUInt32LE(v + 4);
          t.values.push({ name: cString(strings, data.readUInt32LE(v)), value: BigInt(value) });
        } else {
          const v = q + 12 * i;
          const value = (BigInt(data.readUInt32LE(v + 8)) << 32n) | BigInt(data.readUInt32LE(v + 4));
          t.values.push({ name: cString(strings, data.readUInt32LE(v)), value });
        }
      }
    } else if (kind === KIND.ARRAY) {
      t.elemType = data.readUInt32LE(q);
      t.indexType = data.readUInt32LE(q + 4);
      t.nelems = data.readUInt32LE(q + 8);
    } else if (kind === KIND.INT || kind === KIND.FLOAT) {
      t.size = sizeOrType;
    } else if (kind === KIND.FUNC_PROTO) {
      t.type = sizeOrType;
      t.params = [];
      for (let i = 0; i < vlen; i++) t.params.push(data.readUInt32LE(q + 8 * i + 4));
    } else if (kind === KIND.DATASEC) {
      t.size = sizeOrType;
      t.vars = [];
      for (let i = 0; i < vlen; i++) t.vars.push(data.readUInt32LE(q + 12 * i));
    } else if (kind !== KIND.FWD) {
      t.type = sizeOrType;
    }
    types.push(t);
    p += recLen;
  }
  if (p !== end) throw new Error('BTF type section ends inside a record');
  return { types, strings };
}

/** Byte size of a type, following typedefs and modifiers. */
function sizeOf(types, id) {
  for (let depth = 0; depth < 64; depth++) {
    const t = types[id];
    if (t === undefined) throw new Error(`BTF type id ${id} out of range`);
    switch (t.kind) {
      case KIND.INT: case KIND.FLOAT: case KIND.STRUCT: case KIND.UNION: case KIND.ENUM: case KIND.ENUM64:
        return t.size;
      case KIND.PTR:
        return 8;
      case KIND.ARRAY:
        return t.nelems * sizeOf(types, t.elemType);
      case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.TYPE_TAG:
        id = t.type;
        continue;
      default:
        throw new Error(`BTF type ${id} (kind ${t.kind}) has no size`);
    }
  }
  throw new Error(`BTF type chain at ${id} is too deep`);
}

/** The type behind typedefs and modifiers. */
function resolve(types, id) {
  for (let depth = 0; depth < 64; depth++) {
    const t = types[id];
    if (t.kind === KIND.TYPEDEF || t.kind === KIND.VOLATILE || t.kind === KIND.CONST ||
        t.kind === KIND.RESTRICT || t.kind === KIND.TYPE_TAG) {
      id = t.type;
      continue;
    }
    return t;
  }
  throw new Error(`BTF type chain at ${id} is too deep`);
}

/** Ids a type refers to (for subsetting). */
function referencedIds(t) {
  switch (t.kind) {
    case KIND.STRUCT: case KIND.UNION: return t.members.map((m) => m.type);
    case KIND.ARRAY: return [t.elemType, t.indexType];
    case KIND.FUNC_PROTO: return [t.type, ...t.params];
    case KIND.DATASEC: return t.vars;
    default: return t.type === undefined ? [] : [t.type];
  }
}

module.exports = { KIND, readBtf, sizeOf, resolve, referencedIds };
