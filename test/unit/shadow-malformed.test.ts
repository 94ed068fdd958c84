/**
 * Shadow values over BTF that lies (issue 12): members beyond the variable, off a byte
 * boundary or under a repeated name gave TypeError/RangeError, even from Object.keys().
 * Each is now a BpfError when the layout is built, before any member is touched.
 */
import { Btf, BtfKind } from '../../lib/btf';
import { BpfError } from '../../lib/errors';
import { createShadowValue, shadowLayout } from '../../lib/shadow';
import { info, rawBtf, strtab } from './btf/raw';

const s = strtab(['int', 'double', 'ops', 'a', 'b']);
const INT = [s.off('int'), info(BtfKind.INT), 4, 0x01000020];
const DOUBLE = [s.off('double'), info(BtfKind.FLOAT), 8];

/** struct ops { members } of `size` bytes, after int (id 1) and double (id 2). */
function struct(size: number, members: [string, number, number][]): Btf {
  const words = [...INT, ...DOUBLE, s.off('ops'), info(BtfKind.STRUCT, members.length), size];
  for (const [name, type, bitOffset] of members) words.push(s.off(name), type, bitOffset);
  return Btf.parse(rawBtf(words, s.bytes), { name: 'test' });
}

function layoutError(btf: Btf, dataLength?: number): BpfError {
  try {
    shadowLayout(btf, 3, dataLength);
  } catch (err) {
    expect(err).toBeInstanceOf(BpfError);
    return err as BpfError;
  }
  throw new Error('expected a BpfError');
}

describe('shadow layout of malformed BTF', () => {
  test('a well-formed struct lays out and reads', () => {
    const btf = struct(16, [['a', 1, 0], ['b', 2, 64]]);
    const data = Buffer.alloc(16);
    data.writeInt32LE(-7, 0);
    data.writeDoubleLE(1.5, 8);
    const value = createShadowValue({
      map: 'm', object: 'o', typeName: 'ops', data, members: shadowLayout(btf, 3, 16), bindings: new Map(),
      locked: () => false, owns: (_p): _p is never => false, inUse: () => false,
    });
    expect(Object.keys(value)).toEqual(['a', 'b']);
    expect(value).toEqual({ a: -7, b: 1.5 });
  });

  test('a member that ends past the struct', () => {
    expect(layoutError(struct(12, [['a', 1, 0], ['b', 2, 64]]))).toMatchObject({ code: 'EINVAL', typeId: 3 });
  });

  test('a struct larger than the variable holding it', () => {
    expect(layoutError(struct(16, [['a', 1, 0], ['b', 2, 64]]), 12).message).toMatch(/variable holds 12/);
  });

  test('a double that does not start on a byte', () => {
    expect(layoutError(struct(16, [['a', 1, 0], ['b', 2, 36]])).message).toMatch(/not on a byte/);
  });

  test('a repeated member name', () => {
    expect(layoutError(struct(16, [['a', 1, 0], ['a', 2, 64]])).message).toMatch(/"a" is repeated/);
  });
});
