import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, BtfBuilder, BtfKind, type BtfType, type DistributiveOmit } from '../../../lib/btf';
import { info, rawBtf } from './raw';

const sample = readFileSync(join(__dirname, '../../fixtures/btf/sample.btf'));
/** Drops every nameOff (they depend on string layout) to compare the rest. */
function withoutNameOffs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNameOffs);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'nameOff').map(([k, x]) => [k, withoutNameOffs(x)]));
  }
  return v;
}

const empty = (): Btf => Btf.parse(rawBtf([], Buffer.from([0])));

/** One type of every kind (ids 1..19 in this order). */
const ALL_KINDS: DistributiveOmit<BtfType, 'id'>[] = [
  { kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
  { kind: BtfKind.PTR, nameOff: 0, name: '', type: 4 },
  { kind: BtfKind.ARRAY, nameOff: 0, name: '', elemType: 1, indexType: 1, nelems: 3 },
  {
    kind: BtfKind.STRUCT, nameOff: 0, name: 's', size: 16, kindFlag: true,
    members: [
      { nameOff: 0, name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
      { nameOff: 0, name: 'bits', type: 1, bitOffset: 32, bitfieldSize: 7 },
      { nameOff: 0, name: 'p', type: 2, bitOffset: 64, bitfieldSize: 0 },
    ],
  },
  {
    kind: BtfKind.UNION, nameOff: 0, name: 'u', size: 4, kindFlag: false,
    members: [{ nameOff: 0, name: 'x', type: 1, bitOffset: 0, bitfieldSize: 0 }],
  },
  {
    kind: BtfKind.ENUM, nameOff: 0, name: 'e', size: 4, signed: true,
    values: [{ nameOff: 0, name: 'NEG', value: -5 }, { nameOff: 0, name: 'POS', value: 2147483647 }],
  },
  { kind: BtfKind.FWD, nameOff: 0, name: 'later', union: true },
  { kind: BtfKind.TYPEDEF, nameOff: 0, name: 'myint', type: 1 },
  { kind: BtfKind.VOLATILE, nameOff: 0, name: '', type: 1 },
  { kind: BtfKind.CONST, nameOff: 0, name: '', type: 9 },
  { kind: BtfKind.RESTRICT, nameOff: 0, name: '', type: 2 },
  { kind: BtfKind.FUNC, nameOff: 0, name: 'f', type: 13, linkage: 2 },
  {
    kind: BtfKind.FUNC_PROTO, nameOff: 0, name: '', returnType: 8,
    params: [{ nameOff: 0, name: 'arg', type: 2 }, { nameOff: 0, name: '', type: 0 }],
  },
  { kind: BtfKind.VAR, nameOff: 0, name: 'v', type: 1, linkage: 1 },
  { kind: BtfKind.DATASEC, nameOff: 0, name: '.data', size: 8, vars: [{ type: 14, offset: 4, size: 4 }] },
  { kind: BtfKind.FLOAT, nameOff: 0, name: 'double', size: 8 },
  { kind: BtfKind.DECL_TAG, nameOff: 0, name: 'tag', type: 4, componentIdx: 1 },
  { kind: BtfKind.TYPE_TAG, nameOff: 0, name: 'user', type: 1, kindFlag: true },
  {
    kind: BtfKind.ENUM64, nameOff: 0, name: 'e64', size: 8, signed: true,
    values: [{ nameOff: 0, name: 'MIN', value: -(1n << 63n) }, { nameOff: 0, name: 'ONE', value: 1n }],
  },
];

describe('BtfBuilder', () => {
  it('encodes and decodes every kind', () => {
    const b = new BtfBuilder(empty());
    ALL_KINDS.forEach((t, i) => expect(b.addType(t)).toBe(i + 1));
    const btf = Btf.parse(b.encode());
    expect(btf.typeCount).toBe(20);
    const kinds = new Set([...btf.types()].map((t) => t.kind));
    expect(kinds.size).toBe(19);
    ALL_KINDS.forEach((t, i) => {
      const got = btf.typeById(i + 1);
      expect(withoutNameOffs(got)).toEqual({ ...(withoutNameOffs(t) as object), id: i + 1 });
      expect(btf.stringAt(got.nameOff)).toBe(t.name);
    });
    expect(btf.typeName(12)).toBe('myint f(struct s *, ...)');
    expect(btf.typeName(11)).toBe('struct s * restrict');
    expect(btf.typeName(3)).toBe('int [3]');
  });

  it('writes the records the kernel expects', () => {
    const b = new BtfBuilder(empty());
    ALL_KINDS.forEach((t) => b.addType(t));
    const out = b.encode();
    const typeLen = out.readUInt32LE(12);
    const words = (i: number): number => out.readUInt32LE(24 + i * 4);
    // First record: INT 'int' size 4, data = SIGNED<<24 | 32 bits.
    expect([words(1), words(2), words(3)]).toEqual([info(BtfKind.INT), 4, 0x01000020]);
    // INT is 4 words, PTR 3, ARRAY 6: the struct starts at word 13. With kind_flag, member
    // 'bits' (the second, words 19..21) stores offset = bitfield_size << 24 | bit_offset.
    expect(words(14)).toBe(info(BtfKind.STRUCT, 3, true));
    expect(words(21)).toBe(((7 << 24) | 32) >>> 0);
    // ENUM (after the 9-word struct and 6-word union, at word 31): -5 is stored as its two's
    // complement and the sign lives in kind_flag.
    expect(words(32)).toBe(info(BtfKind.ENUM, 2, true));
    expect(words(35)).toBe(0xfffffffb);
    expect(typeLen % 4).toBe(0);
    expect(out.readUInt32LE(16)).toBe(typeLen);
  });

  it('keeps the original strings byte for byte and appends new ones', () => {
    const btf = Btf.parse(sample);
    const strLen = sample.readUInt32LE(20);
    const strStart = 24 + sample.readUInt32LE(16);
    const b = new BtfBuilder(btf);
    const sec = b.types[42];
    if (sec.kind !== BtfKind.DATASEC) throw new Error('expected datasec');
    sec.size = 80;
    sec.vars[0].offset = 0;
    const v = b.types[13];
    if (v.kind !== BtfKind.VAR) throw new Error('expected var');
    v.linkage = 1;
    const proto = b.types[17];
    if (proto.kind !== BtfKind.FUNC_PROTO) throw new Error('expected proto');
    proto.params[0].name = 'dummy_ksym';
    const dummy = b.addType({ kind: BtfKind.VAR, nameOff: 0, name: 'dummy_ksym', type: 8, linkage: 0 });
    expect(dummy).toBe(44);
    const out = b.encode();
    const re = Btf.parse(out);
    expect(re.typeById(42)).toMatchObject({ size: 80 });
    expect(re.typeById(13)).toMatchObject({ linkage: 1 });
    expect(re.typeById(17)).toMatchObject({ params: [{ name: 'dummy_ksym' }] });
    expect(re.typeById(44)).toMatchObject({ name: 'dummy_ksym', kind: BtfKind.VAR });
    const newStrStart = 24 + out.readUInt32LE(16);
    expect(out.subarray(newStrStart, newStrStart + strLen).equals(sample.subarray(strStart, strStart + strLen))).toBe(true);
    // 'dummy_ksym' was added once and shared; the builder's nameOffs now describe the output.
    expect(out.readUInt32LE(20)).toBe(strLen + 'dummy_ksym\0'.length);
    expect(proto.params[0].nameOff).toBe(strLen);
    expect(b.addString('dummy_ksym')).toBe(strLen);
    expect(b.addString('ops')).toBe(btf.typeById(14).nameOff);
    expect(b.addString('')).toBe(0);
  });

  it('rejects values that do not fit the encoding', () => {
    const bad = (t: DistributiveOmit<BtfType, 'id'>): (() => Buffer) => {
      const b = new BtfBuilder(empty());
      b.addType(t);
      return () => b.encode();
    };
    const err = expect.objectContaining({ name: 'BpfError', code: 'EINVAL', typeId: 1 });
    expect(bad({ kind: BtfKind.STRUCT, nameOff: 0, name: 's', size: 4, kindFlag: false,
      members: [{ nameOff: 0, name: 'b', type: 0, bitOffset: 0, bitfieldSize: 3 }] })).toThrow(err);
    expect(bad({ kind: BtfKind.INT, nameOff: 0, name: 'i', size: -1, encoding: 0, bitOffset: 0, bits: 8 })).toThrow(err);
    expect(bad({ kind: BtfKind.PTR, nameOff: 0, name: '', type: 2 ** 32 })).toThrow(err);
    expect(bad({ kind: BtfKind.ENUM, nameOff: 0, name: 'e', size: 4, signed: false,
      values: [{ nameOff: 0, name: 'X', value: 2 ** 33 }] })).toThrow(err);
    expect(bad({ kind: BtfKind.FUNC_PROTO, nameOff: 0, name: '', returnType: 0,
      params: Array.from({ length: 0x10000 }, () => ({ nameOff: 0, name: '', type: 0 })) })).toThrow(err);
    const b = new BtfBuilder(empty());
    b.types.push({ id: 7, kind: BtfKind.FLOAT, nameOff: 0, name: 'f', size: 4 });
    expect(() => b.encode()).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 1 }));
    expect(() => b.addString('a\0b')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('refuses split BTF', () => {
    const base = Btf.parse(sample);
    const split = Btf.parse(rawBtf([], Buffer.alloc(0)), { base });
    expect(() => new BtfBuilder(split)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
