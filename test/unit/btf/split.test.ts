import { Btf, BtfKind } from '../../../lib/btf';
import { info, rawBtf, strtab } from './raw';

// Base: [1] INT 'int', [2] STRUCT 'pair' { int a; }.
const baseStr = strtab(['int', 'pair', 'a']);
const baseBlob = rawBtf(
  [
    baseStr.off('int'), info(BtfKind.INT), 4, 0x01000020,
    baseStr.off('pair'), info(BtfKind.STRUCT, 1), 4, baseStr.off('a'), 1, 0,
  ],
  baseStr.bytes,
);

/** Split: [3] PTR -> 2, [4] STRUCT 'wrap' { struct pair *a; }, [5] TYPEDEF 'int' -> 1. */
function splitBlob(leadingNul: boolean): { blob: Buffer; wrapOff: number } {
  const own = strtab(['wrap'], { leadingNul, startOff: baseStr.bytes.length });
  const blob = rawBtf(
    [
      0, info(BtfKind.PTR), 2,
      own.off('wrap'), info(BtfKind.STRUCT, 1), 8, baseStr.off('a'), 3, 0,
      baseStr.off('int'), info(BtfKind.TYPEDEF), 1,
    ],
    own.bytes,
  );
  return { blob, wrapOff: own.off('wrap') };
}

describe('split BTF', () => {
  const base = Btf.parse(baseBlob, { name: 'base' });

  it.each([true, false])('continues ids and strings after the base (leading NUL %s)', (nul) => {
    const { blob, wrapOff } = splitBlob(nul);
    const split = Btf.parse(blob, { base, name: 'mod' });
    expect(split.base).toBe(base);
    expect(split.startId).toBe(3);
    expect(split.typeCount).toBe(6);
    expect(split.stringsLength).toBe(baseStr.bytes.length + (nul ? 6 : 5));
    expect(split.typeById(1)).toBe(base.typeById(1));
    expect(split.typeById(0).kind).toBe(BtfKind.UNKN);
    expect(split.typeById(4)).toMatchObject({
      name: 'wrap', nameOff: wrapOff, members: [{ name: 'a', type: 3, nameOff: baseStr.off('a') }],
    });
    expect(split.stringAt(baseStr.off('pair'))).toBe('pair');
    expect(split.stringAt(wrapOff)).toBe('wrap');
    expect(split.typeName(4)).toBe('struct wrap');
    expect(split.typeName(3)).toBe('struct pair *');
    expect(split.sizeOf(4)).toBe(8);
    expect(split.resolve(5).id).toBe(1);
    expect([...split.types()].map((t) => t.id)).toEqual([3, 4, 5]);
  });

  it('looks names up across the boundary, base first', () => {
    const split = Btf.parse(splitBlob(true).blob, { base });
    expect(split.findByName('pair')?.id).toBe(2);
    expect(split.findByName('wrap', 'struct')?.id).toBe(4);
    expect(split.findByName('int')?.id).toBe(1);
    expect(split.findByName('int', 'typedef')?.id).toBe(5);
    expect(split.findByName('int', undefined, { ownOnly: true })?.id).toBe(5);
    expect(split.findByName('pair', undefined, { ownOnly: true })).toBeUndefined();
    expect(split.findAllByName('int').map((t) => t.id)).toEqual([1, 5]);
    expect(base.findByName('wrap')).toBeUndefined();
  });

  it('rejects references and strings beyond the split blob', () => {
    const own = strtab(['x'], { startOff: baseStr.bytes.length });
    const badRef = rawBtf([0, info(BtfKind.PTR), 9], own.bytes);
    expect(() => Btf.parse(badRef, { base })).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 3, offset: 32 }));
    const badStr = rawBtf([own.off('x') + 100, info(BtfKind.FLOAT), 4], own.bytes);
    expect(() => Btf.parse(badStr, { base })).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 3, offset: 24 }));
    const split = Btf.parse(rawBtf([], own.bytes), { base });
    expect(() => split.typeById(3)).toThrow(expect.objectContaining({ typeId: 3 }));
    expect(() => split.stringAt(split.stringsLength)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('decodes a lazily parsed split blob the same way', () => {
    const { blob } = splitBlob(true);
    const eager = Btf.parse(blob, { base });
    const lazy = Btf.parse(blob, { base, lazy: true });
    expect([...lazy.types()]).toEqual([...eager.types()]);
  });
});
