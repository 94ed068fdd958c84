/**
 * Shadow values over BTF that lies (issue 12): members beyond the variable, off a byte
 * boundary or under a repeated name gave TypeError/RangeError, even from Object.keys().
 * Each is now a BpfError when the layout is built, before any member is touched.
 */
import { Btf, BtfKind } from '../../lib/btf';
import { BpfError } from '../../lib/errors';
import { createShadowValue, shadowLayout } from '../../lib/shadow';
import { valueLayout } from '../../lib/shadow/layout';
import { info, rawBtf, strtab } from './btf/raw';

const s = strtab(['int', 'double', 'ops', 'a', 'b', '__anon1']);
const INT = [s.off('int'), info(BtfKind.INT), 4, 0x01000020];
const DOUBLE = [s.off('double'), info(BtfKind.FLOAT), 8];

/**
 * struct ops { members } of `size` bytes, after int (id 1) and double (id 2); with
 * `bitfields`, the third number of a member is (bitfield size << 24 | bit offset).
 */
function struct(size: number, members: [string, number, number][], bitfields = false): Btf {
  const words = [...INT, ...DOUBLE, s.off('ops'), info(BtfKind.STRUCT, members.length, bitfields), size];
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

  test('a type that is not a struct', () => {
    let err: unknown;
    try {
      shadowLayout(struct(16, [['a', 1, 0]]), 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({
      code: 'EINVAL', typeId: 1,
      message: "btf type 1 is not a struct; a shadow value needs the struct_ops variable's struct",
    });
  });

  test('a bitfield that ends past the struct', () => {
    // 8 bits from bit 60 of an 8-byte struct: bits 64..67 are outside it.
    const err = layoutError(struct(8, [['a', 1, (8 << 24) | 60]], true));
    expect(err).toMatchObject({ code: 'EINVAL', typeId: 3, message: 'btf struct ops: bitfield a ends past the struct' });
    // The same bitfield inside the struct lays out (and reads its bits).
    expect(shadowLayout(struct(8, [['a', 1, (8 << 24) | 56]], true), 3)).toEqual([
      expect.objectContaining({ name: 'a', kind: 'bitfield', bitOffset: 56, bits: 8 }),
    ]);
  });

  test('an unnamed member whose stand-in name a named member already has', () => {
    // The unnamed member at index 1 is keyed __anon1: the name of member 0.
    const err = layoutError(struct(8, [['__anon1', 1, 0], ['', 1, 32]]));
    expect(err).toMatchObject({ code: 'EINVAL', typeId: 3, message: 'btf struct ops: member name __anon1 is repeated' });
  });
});

describe('a typed value outside its section', () => {
  const btf = struct(16, [['a', 1, 0]]);

  test.each([6, -4, 0.5])('an int at %p of an 8-byte section is EINVAL naming the variable', (offset) => {
    let err: unknown;
    try {
      valueLayout(btf, 1, 'counter', offset, 8);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({
      code: 'EINVAL', typeId: 1, message: `variable counter (4 bytes at ${offset}) lies outside its 8-byte section`,
    });
  });

  test('inside the section it lays out', () => {
    expect(valueLayout(btf, 1, 'counter', 4, 8)).toMatchObject({ name: 'counter', offset: 4, size: 4, kind: 'int' });
  });
});

describe('shadow value properties can only be assigned', () => {
  const btf = struct(16, [['a', 1, 0], ['b', 2, 64]]);
  const value = createShadowValue({
    map: 'm', object: 'o', typeName: 'ops', data: Buffer.alloc(16), members: shadowLayout(btf, 3, 16), bindings: new Map(),
    locked: () => false, owns: (_p): _p is never => false, inUse: () => false,
  });

  function defineError(key: string): BpfError {
    try {
      Object.defineProperty(value, key, { value: 1, writable: true, enumerable: true, configurable: true });
    } catch (err) {
      expect(err).toBeInstanceOf(BpfError);
      return err as BpfError;
    }
    throw new Error('expected a BpfError');
  }

  test('defining a member is EINVAL (assignment is the way)', () => {
    expect(defineError('a')).toMatchObject({
      code: 'EINVAL', object: 'o', map: 'm', member: 'a', message: 'struct_ops m: member a can only be assigned, not redefined',
    });
    value.a = 5;
    expect(value.a).toBe(5);
  });

  test('defining an unknown member is ENOENT with the member list', () => {
    expect(defineError('c')).toMatchObject({
      code: 'ENOENT', member: 'c', message: 'struct_ops m: struct ops has no member "c"; members: a, b',
    });
  });
});

describe('a shadow value once load() has started', () => {
  test('every write is EBUSY and leaves the bytes as they were', () => {
    const btf = struct(16, [['a', 1, 0], ['b', 2, 64]]);
    const data = Buffer.alloc(16);
    let loading = false;
    const value = createShadowValue({
      map: 'm', object: 'o', typeName: 'ops', data, members: shadowLayout(btf, 3, 16), bindings: new Map(),
      locked: () => loading, owns: (_p): _p is never => false, inUse: () => false,
    });
    value.a = 1;
    loading = true;
    let err: unknown;
    try {
      value.a = 2;
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({
      code: 'EBUSY', object: 'o', map: 'm', member: 'a', hint: expect.stringMatching(/before load\(\)/),
      message: 'struct_ops m: member a cannot change: load() has started',
    });
    expect(data.readInt32LE(0)).toBe(1);
  });
});
