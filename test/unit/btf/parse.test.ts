import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, BtfBuilder, BtfKind, type BtfType } from '../../../lib/btf';

const FIXTURES = join(__dirname, '../../fixtures/btf');
const raw = readFileSync(join(FIXTURES, 'sample.btf'));

/** The BtfType variant(s) whose kind union includes K. */
type OfKind<K extends BtfKind, T = BtfType> = T extends { kind: infer TK } ? (K extends TK ? T : never) : never;

function byName<K extends BtfKind>(btf: Btf, name: string, kind: K): OfKind<K> {
  const t = btf.findByName(name, kind);
  if (!t || t.kind !== kind) throw new Error(`${name} not found`);
  return t as OfKind<K>;
}

describe('Btf.parse on clang output (sample.bpf.o .BTF)', () => {
  const btf = Btf.parse(raw, { name: 'sample.btf' });

  it('reports ids, counts and the blob', () => {
    expect(btf.startId).toBe(1);
    expect(btf.typeCount).toBe(44);
    expect(btf.stringsLength).toBe(raw.readUInt32LE(20));
    expect(btf.raw.equals(raw)).toBe(true);
    expect(btf.base).toBeUndefined();
    expect([...btf.types()].map((t) => t.id)).toEqual(Array.from({ length: 43 }, (_, i) => i + 1));
  });

  it('decodes void, ints and typedefs', () => {
    expect(btf.typeById(0)).toMatchObject({ id: 0, kind: BtfKind.UNKN, name: '' });
    expect(btf.typeById(5)).toEqual({
      id: 5, kind: BtfKind.INT, nameOff: expect.any(Number), name: 'unsigned int',
      size: 4, encoding: 0, bitOffset: 0, bits: 32,
    });
    expect(btf.typeById(8)).toMatchObject({ name: 'int', encoding: 1, bits: 32 });
    expect(btf.typeById(4)).toMatchObject({ kind: BtfKind.TYPEDEF, name: 'u32', type: 5 });
  });

  it('decodes structs, bitfields and unions', () => {
    const ops = byName(btf, 'ops', BtfKind.STRUCT);
    expect(ops.size).toBe(80);
    expect(ops.kindFlag).toBe(false);
    expect(ops.members.map((m) => [m.name, m.bitOffset])).toEqual([
      ['ssthresh', 0], ['cong_avoid', 64], ['name', 128], ['fl', 256], ['p', 320],
      ['uptr', 384], ['col', 448], ['b', 512], ['n', 576],
    ]);
    const fl = byName(btf, 'flags', BtfKind.STRUCT);
    expect(fl.kindFlag).toBe(true);
    expect(fl.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
      ['a', 0, 3], ['b', 3, 5], ['c', 32, 0],
    ]);
    const num = byName(btf, 'num', BtfKind.UNION);
    expect(num.members.map((m) => btf.typeName(m.type))).toEqual(['int', 'float', 'double']);
  });

  it('decodes enums with signedness and enum64 as bigint', () => {
    const color = byName(btf, 'color', BtfKind.ENUM);
    expect(color.signed).toBe(true);
    expect(color.values.map((v) => [v.name, v.value])).toEqual([['RED', -1], ['GREEN', 7]]);
    const big = byName(btf, 'big', BtfKind.ENUM64);
    expect(big.signed).toBe(false);
    expect(big.values[0].value).toBe(0xfedcba9876543210n);
  });

  it('decodes functions, vars, datasecs and tags', () => {
    const fn = byName(btf, 'my_ssthresh', BtfKind.FUNC);
    expect(fn.linkage).toBe(1);
    const proto = btf.typeById(fn.type);
    expect(proto).toMatchObject({ kind: BtfKind.FUNC_PROTO, returnType: 4, params: [{ name: 'sk', type: 1 }] });
    expect(byName(btf, 'knob', BtfKind.VAR)).toMatchObject({ linkage: 0, type: 11 });
    expect(byName(btf, '.struct_ops', BtfKind.DATASEC)).toMatchObject({ size: 0, vars: [{ type: 37, offset: 0, size: 80 }] });
    expect(byName(btf, 'arg_tag', BtfKind.DECL_TAG)).toMatchObject({ type: 6, componentIdx: 0 });
    expect(byName(btf, 'ops_tag', BtfKind.DECL_TAG)).toMatchObject({ type: 14, componentIdx: -1 });
    expect(byName(btf, 'user', BtfKind.TYPE_TAG)).toMatchObject({ type: 8 });
    expect(byName(btf, 'sock', BtfKind.FWD).union).toBe(false);
    expect(byName(btf, 'float', BtfKind.FLOAT).size).toBe(4);
  });

  it('finds by name, kind name and all matches', () => {
    expect(btf.findByName('ops', 'struct')?.id).toBe(14);
    expect(btf.findByName('ops', 'union')).toBeUndefined();
    expect(btf.findByName('nope')).toBeUndefined();
    expect(btf.findByName('')).toBeUndefined();
    expect(btf.findByName('big')?.kind).toBe(BtfKind.ENUM64);
    expect(btf.findByName('b')).toBeUndefined(); // a member name, not a type
    expect(btf.findAllByName('u32').map((t) => t.id)).toEqual([4]);
    // 'int' also ends 'unsigned int': only the exact string matches.
    expect(btf.findAllByName('int').map((t) => t.id)).toEqual([8]);
    expect(btf.findAllByName('int', 'struct')).toEqual([]);
  });

  it('spells types in C', () => {
    const ops = byName(btf, 'ops', BtfKind.STRUCT);
    const spell = (m: string): string => btf.typeName(ops.members.find((x) => x.name === m)!.type);
    expect(spell('ssthresh')).toBe('u32 (*)(struct sock *)');
    expect(spell('cong_avoid')).toBe('void (*)(struct sock *, u32, u32)');
    expect(spell('name')).toBe('char [16]');
    expect(spell('p')).toBe('const volatile u64 * restrict');
    expect(spell('uptr')).toBe('int *');
    expect(spell('col')).toBe('enum color');
    expect(spell('n')).toBe('union num');
    expect(btf.typeName(6)).toBe('u32 my_ssthresh(struct sock *)');
    expect(btf.typeName(0)).toBe('void');
  });

  it('computes sizes, alignment and members', () => {
    expect(btf.sizeOf(14)).toBe(80);
    expect(btf.sizeOf(21)).toBe(16);
    expect(btf.sizeOf(4)).toBe(4);
    expect(btf.sizeOf(24)).toBe(8);
    expect(btf.sizeOf(37)).toBe(80); // a VAR has its type's size
    expect(btf.alignOf(14)).toBe(8);
    expect(btf.alignOf(21)).toBe(1);
    expect(btf.alignOf(23)).toBe(4);
    expect(() => btf.sizeOf(0)).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 0 }));
    expect(() => btf.sizeOf(6)).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 6 }));
    expect(btf.memberByName(14, 'fl')).toMatchObject({ index: 3, member: { type: 23, bitOffset: 256 } });
    expect(btf.memberByName(14, 'zzz')).toBeUndefined();
    expect(() => btf.memberByName(5, 'x')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('skips modifiers and resolves typedefs', () => {
    expect(btf.skipModifiers(11)).toBe(8); // const volatile int
    expect(btf.skipModifiers(26)).toBe(28); // stops at the typedef
    expect(btf.resolve(26).id).toBe(29);
    expect(btf.resolve(30).id).toBe(8); // type tag
    expect(btf.skipModifiers(0)).toBe(0);
  });

  it('resolves strings and rejects bad ids', () => {
    expect(btf.stringAt(0)).toBe('');
    expect(btf.stringAt(btf.typeById(14).nameOff)).toBe('ops');
    expect(() => btf.typeById(44)).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 44 }));
    expect(() => btf.typeById(-1)).toThrow(expect.objectContaining({ typeId: -1 }));
    expect(() => btf.typeById(1.5)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => btf.stringAt(btf.stringsLength)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('decodes the same lazily and eagerly', () => {
    const lazy = Btf.parse(raw, { lazy: true });
    expect([...lazy.types()]).toEqual([...btf.types()]);
  });

  it('parses a section that is not 4-byte aligned in memory', () => {
    const shifted = Buffer.alloc(raw.length + 1);
    raw.copy(shifted, 1);
    const odd = Btf.parse(shifted.subarray(1));
    expect(odd.findByName('ops', 'struct')?.id).toBe(14);
    expect(odd.raw.equals(raw)).toBe(true);
  });

  it('round-trips byte for byte through BtfBuilder', () => {
    expect(new BtfBuilder(btf).encode().equals(raw)).toBe(true);
    expect(new BtfBuilder(Btf.parse(raw, { lazy: true })).encode().equals(raw)).toBe(true);
  });
});
