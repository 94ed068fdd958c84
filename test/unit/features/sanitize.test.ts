import { readFileSync } from 'node:fs';
import {
  ALL_BTF_FEATURES, BTF_FEATURE_NAMES, Btf, BtfKind, BtfPatch, ENUM64_PLACEHOLDER, btfFeaturesUsedBy, sanitizeBtf, type BtfFeatures,
} from '../../../lib/btf';
import { encodeObjectBtf } from '../../../lib/object/load/object-btf';
import { loadObjectSpec } from '../../../lib/object/open';
import { fixture } from '../../helpers/fixtures';
import { info, rawBtf, strtab } from '../btf/raw';
import { rawRecords, type RawRecord } from './records';

// An object-like BTF with every kind an old kernel may not know.
const s = strtab(['int', 'counter', '.bss', 'ops', '?.struct_ops', 'a', 'prog', 'helper', 'float', 'tag', 'user',
  'sgn', 'NEG', 'uns', 'ONE', 'wide', 'LO', 'HI']);
const WORDS = [
  s.off('int'), info(BtfKind.INT), 4, 0x01000020, //                                [1] int
  s.off('counter'), info(BtfKind.VAR), 1, 1, //                                     [2] VAR counter
  s.off('.bss'), info(BtfKind.DATASEC, 1), 8, 2, 4, 4, //                            [3] DATASEC .bss { counter @4 }
  s.off('ops'), info(BtfKind.VAR), 1, 1, //                                         [4] VAR ops
  s.off('?.struct_ops'), info(BtfKind.DATASEC, 1), 4, 4, 0, 4, //                   [5] DATASEC ?.struct_ops { ops @0 }
  0, info(BtfKind.FUNC_PROTO, 2), 1, s.off('a'), 1, 0, 1, //                        [6] int (int a, int)
  s.off('prog'), info(BtfKind.FUNC, 1), 6, //                                       [7] global FUNC prog
  s.off('helper'), info(BtfKind.FUNC, 0), 6, //                                     [8] static FUNC helper
  s.off('float'), info(BtfKind.FLOAT), 4, //                                        [9] FLOAT
  s.off('tag'), info(BtfKind.DECL_TAG), 2, 0xffffffff, //                           [10] DECL_TAG tag -> counter
  s.off('user'), info(BtfKind.TYPE_TAG), 1, //                                      [11] TYPE_TAG user -> int
  0, info(BtfKind.PTR), 11, //                                                      [12] int __tag *
  s.off('sgn'), info(BtfKind.ENUM, 1, true), 4, s.off('NEG'), 0xffffffff, //        [13] signed ENUM
  s.off('uns'), info(BtfKind.ENUM, 1), 4, s.off('ONE'), 1, //                       [14] unsigned ENUM
  s.off('wide'), info(BtfKind.ENUM64, 2), 8, s.off('LO'), 1, 0, s.off('HI'), 0, 1, // [15] ENUM64
];
const BLOB = rawBtf(WORDS, s.bytes);

/** Sanitizes BLOB for a kernel without `missing`, and reads the records back raw. */
function sanitized(missing: Partial<BtfFeatures>): { records: RawRecord[]; str: (o: number) => string; changed: number } {
  const btf = Btf.parse(BLOB);
  const p = new BtfPatch(btf);
  const changed = sanitizeBtf(p, btf, { ...ALL_BTF_FEATURES, ...missing });
  const out = p.encode();
  // The result is valid BTF for our parser as well.
  expect(() => Btf.parse(out)).not.toThrow();
  return { ...rawRecords(out), changed };
}

const before = rawRecords(BLOB).records;
const INT_1BYTE = { kind: BtfKind.INT, vlen: 0, kflag: false, sizeType: 1, tail: [8] };

/** Every record other than `ids` is unchanged, and every id keeps its record size. */
function othersUnchanged(records: RawRecord[], ids: number[]): void {
  for (const r of before) {
    expect(records[r.id - 1].bytes).toBe(r.bytes);
    if (!ids.includes(r.id)) expect(records[r.id - 1]).toEqual(r);
  }
}

describe('sanitizeBtf (one missing feature at a time, encoded records read back raw)', () => {
  test('every feature present: nothing is looked at or changed', () => {
    const btf = Btf.parse(BLOB);
    const p = new BtfPatch(btf);
    expect(sanitizeBtf(p, btf, ALL_BTF_FEATURES)).toBe(0);
    expect(p.encode().equals(BLOB)).toBe(true);
  });

  test('no DATASEC: VARs become 1-byte INTs, DATASECs STRUCTs of their variables ("." and "?" -> "_")', () => {
    const { records, changed } = sanitized({ datasec: false });
    expect(changed).toBe(4);
    expect(records[1]).toMatchObject({ name: 'counter', ...INT_1BYTE });
    expect(records[3]).toMatchObject({ name: 'ops', ...INT_1BYTE });
    expect(records[2]).toMatchObject({
      name: '_bss', kind: BtfKind.STRUCT, vlen: 1, kflag: false, sizeType: 8, tail: [s.off('counter'), 2, 32],
    });
    expect(records[4]).toMatchObject({ name: '__struct_ops', kind: BtfKind.STRUCT, sizeType: 4, tail: [s.off('ops'), 4, 0] });
    othersUnchanged(records, [2, 3, 4, 5]);
  });

  test('DATASEC but no "?" names: only the "?" of ?.struct_ops becomes "_"', () => {
    const { records, changed } = sanitized({ qmarkDatasec: false });
    expect(changed).toBe(1);
    expect(records[4]).toMatchObject({ name: '_.struct_ops', kind: BtfKind.DATASEC, vlen: 1, sizeType: 4, tail: [4, 0, 4] });
    othersUnchanged(records, [5]);
  });

  test('no FUNC: FUNC_PROTO -> ENUM (params as enumerators), FUNC -> TYPEDEF', () => {
    const { records, changed } = sanitized({ func: false });
    expect(changed).toBe(3);
    expect(records[5]).toMatchObject({ name: '', kind: BtfKind.ENUM, vlen: 2, kflag: false, sizeType: 4, tail: [s.off('a'), 1, 0, 1] });
    expect(records[6]).toMatchObject({ name: 'prog', kind: BtfKind.TYPEDEF, vlen: 0, sizeType: 6, tail: [] });
    expect(records[7]).toMatchObject({ name: 'helper', kind: BtfKind.TYPEDEF, vlen: 0, sizeType: 6 });
    othersUnchanged(records, [6, 7, 8]);
  });

  test('FUNC but no global linkage: global FUNCs become static', () => {
    const { records, changed } = sanitized({ globalFunc: false });
    expect(changed).toBe(1);
    expect(records[6]).toMatchObject({ name: 'prog', kind: BtfKind.FUNC, vlen: 0, sizeType: 6 });
    othersUnchanged(records, [7]);
  });

  test('no FLOAT: an anonymous empty STRUCT of the same size', () => {
    const { records } = sanitized({ float: false });
    expect(records[8]).toMatchObject({ name: '', kind: BtfKind.STRUCT, vlen: 0, kflag: false, sizeType: 4, tail: [] });
    othersUnchanged(records, [9]);
  });

  test('no DECL_TAG: a 1-byte INT placeholder keeping the tag name', () => {
    const { records } = sanitized({ declTag: false });
    expect(records[9]).toMatchObject({ name: 'tag', ...INT_1BYTE });
    othersUnchanged(records, [10]);
  });

  test('no TYPE_TAG: an anonymous CONST of the same type', () => {
    const { records } = sanitized({ typeTag: false });
    expect(records[10]).toMatchObject({ name: '', kind: BtfKind.CONST, vlen: 0, kflag: false, sizeType: 1, tail: [] });
    expect(records[11]).toEqual(before[11]); // the PTR still points at id 11
    othersUnchanged(records, [11]);
  });

  test('no ENUM64: ENUM64 -> UNION of placeholder INTs (added last), signed ENUMs lose kind_flag', () => {
    const { records, changed } = sanitized({ enum64: false });
    expect(changed).toBe(2);
    expect(records).toHaveLength(before.length + 1);
    const placeholder = records[before.length];
    expect(placeholder).toMatchObject({ id: 16, name: ENUM64_PLACEHOLDER, ...INT_1BYTE });
    expect(records[12]).toMatchObject({ name: 'sgn', kind: BtfKind.ENUM, kflag: false, vlen: 1, sizeType: 4, tail: [s.off('NEG'), 0xffffffff] });
    expect(records[14]).toMatchObject({
      name: 'wide', kind: BtfKind.UNION, vlen: 2, kflag: false, sizeType: 8, tail: [s.off('LO'), 16, 0, s.off('HI'), 16, 0],
    });
    othersUnchanged(records, [13, 15]);
  });

  test('everything missing at once: ids stay, only the placeholder is added', () => {
    const none = Object.fromEntries(BTF_FEATURE_NAMES.map((n) => [n, false])) as unknown as BtfFeatures;
    const { records } = sanitized(none);
    expect(records.map((r) => r.kind)).toEqual([
      BtfKind.INT, BtfKind.INT, BtfKind.STRUCT, BtfKind.INT, BtfKind.STRUCT, BtfKind.ENUM, BtfKind.TYPEDEF, BtfKind.TYPEDEF,
      BtfKind.STRUCT, BtfKind.INT, BtfKind.CONST, BtfKind.PTR, BtfKind.ENUM, BtfKind.ENUM, BtfKind.UNION, BtfKind.INT,
    ]);
    for (const r of before) expect(records[r.id - 1].bytes).toBe(r.bytes);
  });
});

describe('encodeObjectBtf with a feature table', () => {
  const spec = loadObjectSpec(readFileSync(fixture('shadow')), 'shadow.bpf.o');
  const kinds = (blob: Buffer): number[] => rawRecords(blob).records.map((r) => r.kind);

  test('sanitizes after the loader fix-ups, keeping every type id', () => {
    const plain = encodeObjectBtf(spec);
    const old = encodeObjectBtf(spec, { ...ALL_BTF_FEATURES, float: false, enum64: false, qmarkDatasec: false, datasec: false });
    const a = kinds(plain);
    const b = kinds(old);
    expect(b).toHaveLength(a.length + 1); // + enum64_placeholder
    expect(a).toEqual(expect.arrayContaining([BtfKind.FLOAT, BtfKind.ENUM64, BtfKind.DATASEC, BtfKind.VAR]));
    for (const k of [BtfKind.FLOAT, BtfKind.ENUM64, BtfKind.DATASEC, BtfKind.VAR]) expect(b).not.toContain(k);
    // Untouched kinds keep their ids.
    a.forEach((k, i) => {
      if ([BtfKind.INT, BtfKind.PTR, BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.TYPEDEF].includes(k)) expect(b[i]).toBe(k);
    });
    // The loader's dummy_ksym VAR (added by the fix-ups) is sanitized too.
    const names = rawRecords(old).records.filter((r) => r.kind === BtfKind.STRUCT).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['_bss', '_struct_ops', '__struct_ops', 'license']));
  });

  test('with every feature present the bytes are the unsanitized encoding', () => {
    expect(encodeObjectBtf(spec, { ...ALL_BTF_FEATURES }).equals(encodeObjectBtf(spec))).toBe(true);
  });
});

describe('btfFeaturesUsedBy (which probes a load needs)', () => {
  const t = strtab(['int', 'x', '.bss', '?.maps', 'f', 'e', 'A', 'float', 'tag']);
  const INT = [t.off('int'), info(BtfKind.INT), 4, 0x01000020]; // [1]
  const used = (words: number[]): string[] => btfFeaturesUsedBy(Btf.parse(rawBtf(words, t.bytes)));

  test('the object-like BTF with every kind uses every feature', () => {
    expect(btfFeaturesUsedBy(Btf.parse(BLOB))).toEqual([...BTF_FEATURE_NAMES]);
  });

  test('each kind asks for its own feature, and nothing else does', () => {
    expect(used(INT)).toEqual([]);
    expect(used([...INT, 0, info(BtfKind.FUNC_PROTO, 0), 1])).toEqual(['func', 'globalFunc']);
    expect(used([...INT, 0, info(BtfKind.FUNC_PROTO, 0), 1, t.off('f'), info(BtfKind.FUNC, 0), 2])).toEqual(['func', 'globalFunc']);
    expect(used([...INT, t.off('x'), info(BtfKind.VAR), 1, 0])).toEqual(['datasec']);
    expect(used([...INT, t.off('x'), info(BtfKind.VAR), 1, 0, t.off('.bss'), info(BtfKind.DATASEC, 1), 4, 2, 0, 4])).toEqual(['datasec']);
    expect(used([...INT, t.off('x'), info(BtfKind.VAR), 1, 0, t.off('?.maps'), info(BtfKind.DATASEC, 1), 4, 2, 0, 4]))
      .toEqual(['datasec', 'qmarkDatasec']);
    expect(used([t.off('float'), info(BtfKind.FLOAT), 4])).toEqual(['float']);
    expect(used([...INT, t.off('tag'), info(BtfKind.DECL_TAG), 1, 0xffffffff])).toEqual(['declTag']);
    expect(used([...INT, t.off('tag'), info(BtfKind.TYPE_TAG), 1])).toEqual(['typeTag']);
    expect(used([t.off('e'), info(BtfKind.ENUM, 1), 4, t.off('A'), 1])).toEqual([]);
    expect(used([t.off('e'), info(BtfKind.ENUM, 1, true), 4, t.off('A'), 0xffffffff])).toEqual(['enum64']);
    expect(used([t.off('e'), info(BtfKind.ENUM64, 1), 8, t.off('A'), 1, 0])).toEqual(['enum64']);
  });

  test('reno.bpf.o needs three probes of eight', () => {
    const spec = loadObjectSpec(readFileSync(fixture('reno')), 'reno.bpf.o');
    expect(btfFeaturesUsedBy(spec.btf)).toEqual(['func', 'globalFunc', 'datasec']);
  });

  // Soundness: a feature left unprobed (reported present) must be one whose absence would
  // not have changed the encoded object BTF, after the loader's own fix-ups.
  test.each(['reno', 'cubic', 'shadow'])('%s: a feature it does not use changes nothing in its encoding', (name) => {
    const spec = loadObjectSpec(readFileSync(fixture(name)), `${name}.bpf.o`);
    const usedNames = btfFeaturesUsedBy(spec.btf);
    const plain = encodeObjectBtf(spec);
    for (const f of BTF_FEATURE_NAMES) {
      const changed = !encodeObjectBtf(spec, { ...ALL_BTF_FEATURES, [f]: false }).equals(plain);
      if (changed) expect(usedNames).toContain(f);
    }
    if (name === 'shadow') expect(usedNames).toEqual(expect.arrayContaining(['float', 'enum64', 'qmarkDatasec']));
  });
});
