/**
 * Rules of typed map access that need no kernel (issue 14, rule deletion): the BTF codec of
 * keys and values (lib/maps/codec.ts) refuses values that do not fit their C type, and
 * per-CPU sums refuse values that are no counters. Each test names the rule it covers.
 */
import { Btf, BtfBuilder, BtfKind } from '../../lib/btf';
import { encodeTyped, sumCounters } from '../../lib/maps/codec';
import { catchBpf } from '../helpers/errors';
import { rawBtf } from './btf/raw';

/**
 * A small object BTF: int (1), struct pair { int a; int b; } (2), int[2] (3),
 * int * (4), struct holder { int *p; } (5).
 */
function sampleBtf(): Btf {
  const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
  b.addType({ kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 });
  b.addType({
    kind: BtfKind.STRUCT, nameOff: 0, name: 'pair', size: 8, kindFlag: false,
    members: [
      { nameOff: 0, name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
      { nameOff: 0, name: 'b', type: 1, bitOffset: 32, bitfieldSize: 0 },
    ],
  });
  b.addType({ kind: BtfKind.ARRAY, nameOff: 0, name: '', elemType: 1, indexType: 1, nelems: 2 });
  b.addType({ kind: BtfKind.PTR, nameOff: 0, name: '', type: 1 });
  b.addType({
    kind: BtfKind.STRUCT, nameOff: 0, name: 'holder', size: 8, kindFlag: false,
    members: [{ nameOff: 0, name: 'p', type: 4, bitOffset: 0, bitfieldSize: 0 }],
  });
  return Btf.parse(b.encode());
}

/** struct n0 { struct n1 x; } ... struct n<depth> { int x; }: `depth` levels of nesting below n0. */
function nestedBtf(depth: number): { btf: Btf; outer: number } {
  const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
  const int = b.addType({ kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 });
  let inner = int;
  for (let i = depth; i >= 0; i--) {
    inner = b.addType({
      kind: BtfKind.STRUCT, nameOff: 0, name: `n${i}`, size: 4, kindFlag: false,
      members: [{ nameOff: 0, name: 'x', type: inner, bitOffset: 0, bitfieldSize: 0 }],
    });
  }
  return { btf: Btf.parse(b.encode()), outer: inner };
}

/** { x: { x: ... { x: 7 } } } with `levels` objects. */
function nestedValue(levels: number): unknown {
  let v: unknown = 7;
  for (let i = 0; i < levels; i++) v = { x: v };
  return v;
}

describe('encodeTyped (lib/maps/codec.ts)', () => {
  const btf = sampleBtf();
  const encode = (typeId: number, input: unknown, size = 8): Buffer => {
    const out = Buffer.alloc(size);
    encodeTyped(btf, typeId, input, out, 0, 'map m value');
    return out;
  };

  test('a struct takes an object of members; a number, an array or a Buffer is refused', () => {
    expect(encode(2, { a: 1, b: 2 })).toEqual(Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]));
    for (const bad of [5, [1, 2], Buffer.alloc(8), null]) {
      const e = catchBpf(() => encode(2, bad));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('map m value (struct pair) takes an object of members');
    }
    const e = catchBpf(() => encode(2, { a: 1, c: 2 }));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe('map m value (struct pair) has no member c');
    expect(e.hint).toBe('members: a, b');
  });

  test('an array holds at most its element count (ERANGE), fewer elements leave the rest zero', () => {
    expect(encode(3, [9])).toEqual(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]));
    const e = catchBpf(() => encode(3, [1, 2, 3], 12));
    expect(e.code).toBe('ERANGE');
    expect(e.message).toBe('map m value (int [2]) holds 2 elements, got 3');
  });

  test('raw bytes for a typed value must be exactly the size of its type', () => {
    expect(encode(3, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const e = catchBpf(() => encode(3, Buffer.alloc(4)));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('map m value (int [2]) takes 8 bytes, got 4');
  });

  test('a pointer member takes raw bytes only, not a number', () => {
    expect(encode(5, { p: Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]) })).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    const e = catchBpf(() => encode(5, { p: 1 }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('map m value.p (int *) takes raw bytes (a Buffer)');
  });

  test('types nesting deeper than 32 levels are refused instead of recursing on', () => {
    const ok = nestedBtf(31);
    const out = Buffer.alloc(4);
    encodeTyped(ok.btf, ok.outer, nestedValue(32), out, 0, 'v');
    expect(out.readInt32LE(0)).toBe(7);
    const deep = nestedBtf(32);
    const e = catchBpf(() => encodeTyped(deep.btf, deep.outer, nestedValue(33), Buffer.alloc(4), 0, 'v'));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/^v(\.x){33}: type nests deeper than 32$/);
  });
});

describe('sumCounters (lib/maps/codec.ts)', () => {
  test('integers sum as bigint; a value that is no integer among them is refused', () => {
    expect(sumCounters([1, 2n, 3], 'map c')).toBe(6n);
    for (const bad of [1.5, 'x']) {
      const e = catchBpf(() => sumCounters([1, bad], 'map c'));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe(`map c: cannot sum ${typeof bad} values`);
    }
  });

  test('values without integers (raw bytes, strings) cannot be summed', () => {
    expect(sumCounters([{ n: 1, s: 'a' }, { n: 2, s: 'b' }], 'map c')).toEqual({ n: 3n });
    for (const bad of [[Buffer.alloc(4), Buffer.alloc(4)], ['a', 'b']]) {
      const e = catchBpf(() => sumCounters(bad, 'map c'));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('map c: only integer counters (and structs/arrays of them) can be summed');
    }
  });
});
