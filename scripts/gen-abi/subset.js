'use strict';
/**
 * Writes a small BTF file holding only the given root types and everything they refer to,
 * renumbered in their original order. This is how the committed fixture
 * (test/fixtures/abi/uapi.btf) is cut out of a kernel's /sys/kernel/btf/vmlinux.
 */
const { KIND, referencedIds } = require('./btf-read');

function closure(types, roots) {
  const keep = new Set();
  const stack = roots.map((t) => t.id);
  while (stack.length > 0) {
    const id = stack.pop();
    if (id === 0 || keep.has(id)) continue;
    keep.add(id);
    for (const ref of referencedIds(types[id])) stack.push(ref);
  }
  return [...keep].sort((a, b) => a - b);
}

class Strings {
  constructor() {
    this.parts = [Buffer.from([0])];
    this.length = 1;
    this.index = new Map([['', 0]]);
  }
  add(s) {
    const known = this.index.get(s);
    if (known !== undefined) return known;
    const off = this.length;
    const bytes = Buffer.from(`${s}\0`, 'latin1');
    this.parts.push(bytes);
    this.length += bytes.length;
    this.index.set(s, off);
    return off;
  }
  bytes() {
    return Buffer.concat(this.parts);
  }
}

/** One type's record with names and type ids rewritten for the subset. */
function rewrite(t, newId, strings, stringsOf) {
  const rec = Buffer.from(t.raw);
  const mapId = (id) => {
    if (id === 0) return 0;
    const n = newId.get(id);
    if (n === undefined) throw new Error(`type ${id} missing from the subset`);
    return n;
  };
  const renameAt = (at) => rec.writeUInt32LE(strings.add(stringsOf(rec.readUInt32LE(at))), at);
  renameAt(0);
  switch (t.kind) {
    case KIND.STRUCT: case KIND.UNION:
      for (let i = 0; i < t.vlen; i++) {
        renameAt(12 + 12 * i);
        rec.writeUInt32LE(mapId(rec.readUInt32LE(16 + 12 * i)), 16 + 12 * i);
      }
      break;
    case KIND.ENUM:
      for (let i = 0; i < t.vlen; i++) renameAt(12 + 8 * i);
      break;
    case KIND.ENUM64:
      for (let i = 0; i < t.vlen; i++) renameAt(12 + 12 * i);
      break;
    case KIND.ARRAY:
      rec.writeUInt32LE(mapId(rec.readUInt32LE(12)), 12);
      rec.writeUInt32LE(mapId(rec.readUInt32LE(16)), 16);
      break;
    case KIND.INT: case KIND.FLOAT: case KIND.FWD:
      break;
    case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.TYPE_TAG:
      rec.writeUInt32LE(mapId(rec.readUInt32LE(8)), 8);
      break;
    case KIND.FUNC_PROTO:
      rec.writeUInt32LE(mapId(rec.readUInt32LE(8)), 8);
      for (let i = 0; i < t.vlen; i++) {
        renameAt(12 + 8 * i);
        rec.writeUInt32LE(mapId(rec.readUInt32LE(16 + 8 * i)), 16 + 8 * i);
      }
      break;
    default:
      throw new Error(`cannot subset BTF kind ${t.kind} (type ${t.id} ${t.name})`);
  }
  return rec;
}

/** BTF bytes containing `roots` and their closure. */
function subsetBtf(parsed, roots) {
  const { types, strings: src } = parsed;
  const ids = closure(types, roots);
  const newId = new Map(ids.map((id, i) => [id, i + 1]));
  const strings = new Strings();
  const stringsOf = (off) => {
    const end = src.indexOf(0, off);
    return src.toString('latin1', off, end < 0 ? src.length : end);
  };
  const records = ids.map((id) => rewrite(types[id], newId, strings, stringsOf));
  const typeBytes = Buffer.concat(records);
  const strBytes = strings.bytes();
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0xeb9f, 0);
  header.writeUInt8(1, 2); // version
  header.writeUInt8(0, 3); // flags
  header.writeUInt32LE(24, 4); // hdr_len
  header.writeUInt32LE(0, 8); // type_off
  header.writeUInt32LE(typeBytes.length, 12);
  header.writeUInt32LE(typeBytes.length, 16); // str_off
  header.writeUInt32LE(strBytes.length, 20);
  return Buffer.concat([header, typeBytes, strBytes]);
}

module.exports = { subsetBtf };
