/**
 * One test per BTF rejection rule that the broader parse/builder tests reach without telling
 * it apart from a neighbouring rule: each asserts the code and the message of the rule
 * itself, so deleting the rule changes what the test sees.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, BtfBuilder, BtfKind, BtfPatch, toKind, type BtfKindName, type BtfType, type DistributiveOmit } from '../../../lib/btf';
import { parseBtfExt } from '../../../lib/btf/ext';
import { cachePath, type IndexCacheOptions } from '../../../lib/btf/index-cache';
import { parseVmlinux } from '../../../lib/btf/kernel';
import type { LazyRange } from '../../../lib/btf/progressive';
import { openTrustedDir } from '../../../lib/trust';
import { recordWords } from '../../../lib/btf/type-table';
import { info, rawBtf, strtab } from './raw';
import { synthetic } from './synthetic';
import { catchBpf as errorOf } from '../../helpers/errors';

const s = strtab(['int', 'x']);
const INT = [s.off('int'), info(BtfKind.INT), 4, 0x01000020];
const parse = (blob: Buffer): Btf => Btf.parse(blob, { name: 't' });
const empty = (): Btf => Btf.parse(rawBtf([], Buffer.from([0])), { name: 'empty' });


describe('BTF header and record scan', () => {
  it('rejects a non-zero byte in a header longer than the 24 bytes it knows', () => {
    const plain = rawBtf(INT, s.bytes);
    // hdr_len 32: eight more header bytes, the sixth of them non-zero.
    const extra = Buffer.alloc(8);
    extra[5] = 1;
    const blob = Buffer.concat([plain.subarray(0, 24), extra, plain.subarray(24)]);
    blob.writeUInt32LE(32, 4);
    expect(errorOf(() => parse(blob))).toMatchObject({ code: 'EINVAL', offset: 29, message: expect.stringMatching(/unknown non-zero header byte/) });
    extra[5] = 0;
    const zeros = Buffer.concat([plain.subarray(0, 24), extra, plain.subarray(24)]);
    zeros.writeUInt32LE(32, 4);
    expect(parse(zeros).typeById(1)).toMatchObject({ name: 'int' });
  });

  it('names a record cut inside its 12-byte common header as truncated', () => {
    const blob = rawBtf([...INT, 0, info(BtfKind.PTR)], s.bytes);
    expect(errorOf(() => parse(blob))).toMatchObject({
      code: 'EINVAL', typeId: 2, offset: 40, message: expect.stringMatching(/type 2 truncated \(8 bytes left\)/),
    });
  });

  it.each([
    ['an unknown kind', info(20), /type 1 has unknown kind 20/],
    ['reserved info bits', info(BtfKind.PTR) | 0x10000, /type 1 has reserved info bits set \(0x2010000\)/],
    ['kind_flag on an INT', info(BtfKind.INT, 0, true), /type 1 \(int\) must not set kind_flag/],
    ['vlen on a PTR', info(BtfKind.PTR, 1), /type 1 \(ptr\) must have vlen 0/],
  ])('tells why an info word is refused: %s', (_what, word, message) => {
    const blob = rawBtf([0, word, 0, 0], s.bytes);
    expect(errorOf(() => parse(blob))).toMatchObject({ code: 'EINVAL', typeId: 1, offset: 28, message: expect.stringMatching(message) });
  });

  it('rejects an ARRAY whose size/type field is set', () => {
    const blob = rawBtf([...INT, 0, info(BtfKind.ARRAY), 5, 1, 1, 2], s.bytes);
    expect(errorOf(() => parse(blob))).toMatchObject({
      code: 'EINVAL', typeId: 2, offset: 48, message: expect.stringMatching(/array size\/type field must be 0/),
    });
    expect(parse(rawBtf([...INT, 0, info(BtfKind.ARRAY), 0, 1, 1, 2], s.bytes)).sizeOf(2)).toBe(8);
  });

  it('stops with EINVAL when a lazily read type section makes no progress', () => {
    const blob = rawBtf([...INT, 0, info(BtfKind.PTR), 1], s.bytes);
    const typeStart = 24;
    const typeEnd = typeStart + 28;
    // A reader that never delivers the second record (as a broken source would); it gives
    // up loudly after many calls, so a scanner that kept asking fails instead of hanging.
    let calls = 0;
    const fill = (): void => {
      if (++calls > 1000) throw new Error('the scanner keeps asking a reader that makes no progress');
    };
    const stalled: LazyRange = { start: typeStart, end: typeEnd, fill, realTo: (from) => (from < typeStart + 16 ? typeStart + 16 : from), complete: fill };
    const strings: LazyRange = { start: typeEnd, end: blob.length, fill: () => undefined, realTo: () => blob.length, complete: () => undefined };
    const btf = Btf.parsePartial(blob, { types: stalled, strings }, { name: 'stalled' });
    expect(btf.typeById(1)).toMatchObject({ name: 'int' });
    expect(errorOf(() => btf.typeById(2))).toMatchObject({ code: 'EINVAL', offset: typeStart + 16, message: expect.stringMatching(/type section ended early/) });
  });

  it('rejects a lazily read name that runs to the end of the string section', () => {
    // Strings '\0int' without a final NUL: only the lazy reader gets as far as reading the name.
    const strBytes = Buffer.from('\0int');
    const blob = rawBtf(INT, strBytes);
    const typeEnd = 24 + 16;
    // Already whole; a reader asked over and over gives up loudly, so a search for the NUL
    // that never stopped fails instead of hanging.
    let calls = 0;
    const fill = (): void => {
      if (++calls > 1000) throw new Error('the string reader keeps asking for more');
    };
    const whole = (start: number, end: number): LazyRange => ({ start, end, fill, realTo: () => end, complete: fill });
    const btf = Btf.parsePartial(blob, { types: whole(24, typeEnd), strings: whole(typeEnd, blob.length) }, { name: 'lazy' });
    expect(errorOf(() => btf.typeById(1))).toMatchObject({
      code: 'EINVAL', typeId: 1, offset: typeEnd + 1, message: expect.stringMatching(/string at 41 is not NUL-terminated/),
    });
  });
});

describe('BTF ids and kinds', () => {
  const btf = parse(rawBtf(INT, s.bytes));

  it('refuses ids that are not own types of the blob', () => {
    for (const id of [0, 1.5, -1]) {
      expect(errorOf(() => btf.kindOf(id))).toMatchObject({ code: 'EINVAL', typeId: id, message: expect.stringMatching(`type id ${id} is not an own type`) });
    }
    expect(errorOf(() => btf.kindOf(2))).toMatchObject({ code: 'EINVAL', typeId: 2, message: expect.stringMatching(/type id 2 out of range/) });
    expect(btf.kindOf(1)).toBe(BtfKind.INT);
  });

  it('rejects an unknown kind name', () => {
    expect(errorOf(() => toKind('strukt' as BtfKindName))).toMatchObject({ code: 'EINVAL', message: "unknown btf kind name 'strukt'" });
    expect(errorOf(() => btf.findByName('int', 'strukt' as BtfKindName))).toMatchObject({ code: 'EINVAL' });
    expect(toKind('struct')).toBe(BtfKind.STRUCT);
  });
});

describe('BTF layout and spelling', () => {
  // [1] INT, [2] FUNC_PROTO int(void), [3] FUNC 'x', [4] CONST -> 5, [5] CONST -> 4.
  const btf = parse(rawBtf([
    ...INT,
    0, info(BtfKind.FUNC_PROTO), 1,
    s.off('x'), info(BtfKind.FUNC), 2,
    0, info(BtfKind.CONST), 5,
    0, info(BtfKind.CONST), 4,
  ], s.bytes));

  it('says a FUNC has no size and no alignment', () => {
    expect(errorOf(() => btf.sizeOf(3))).toMatchObject({ code: 'EINVAL', typeId: 3, message: expect.stringMatching(/type 3 \(func\) has no size/) });
    expect(errorOf(() => btf.alignOf(3))).toMatchObject({ code: 'EINVAL', typeId: 3, message: expect.stringMatching(/type 3 \(func\) has no alignment/) });
  });

  it('stops sizing a modifier cycle after the longest chain', () => {
    expect(errorOf(() => btf.sizeOf(4))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/type chain at \d+ is longer than 64 \(cycle\?\)/) });
  });

  it('refuses to spell a type longer than 4096 characters', () => {
    const long = 'n'.repeat(4100);
    const names = strtab([long]);
    const big = parse(rawBtf([names.off(long), info(BtfKind.STRUCT), 0], names.bytes));
    expect(errorOf(() => big.typeName(1))).toMatchObject({ code: 'EINVAL', typeId: 1, message: expect.stringMatching(/spelling of type 1 exceeds 4096 characters/) });
    const fine = strtab(['n'.repeat(4000)]);
    expect(parse(rawBtf([fine.off('n'.repeat(4000)), info(BtfKind.STRUCT), 0], fine.bytes)).typeName(1)).toHaveLength(4007);
  });
});

describe('BTF encoding (BtfBuilder)', () => {
  const encodeOne = (t: DistributiveOmit<BtfType, 'id'>): (() => Buffer) => {
    const b = new BtfBuilder(empty());
    b.addType(t);
    return () => b.encode();
  };
  const rejected = (t: DistributiveOmit<BtfType, 'id'>, message: RegExp): void => {
    expect(errorOf(encodeOne(t))).toMatchObject({ code: 'EINVAL', typeId: 1, message: expect.stringMatching(message) });
  };

  it('rejects a kind without a record', () => {
    rejected({ kind: BtfKind.UNKN, nameOff: 0, name: '' } as DistributiveOmit<BtfType, 'id'>, /btf encode: type 1 has no record/);
  });

  it('rejects INT encoding, offset or bits that do not fit', () => {
    for (const f of [{ encoding: 16 }, { bitOffset: 256 }, { bits: 256 }, { bits: -1 }]) {
      rejected({ kind: BtfKind.INT, nameOff: 0, name: 'i', size: 4, encoding: 0, bitOffset: 0, bits: 32, ...f }, /int encoding\/offset\/bits out of range/);
    }
  });

  it('rejects a kind_flag member whose offset or bitfield size does not fit 24/8 bits', () => {
    for (const m of [{ bitOffset: 0x1000000, bitfieldSize: 0 }, { bitOffset: 0, bitfieldSize: 256 }]) {
      rejected({
        kind: BtfKind.STRUCT, nameOff: 0, name: 's', size: 4, kindFlag: true,
        members: [{ nameOff: 0, name: 'm', type: 0, ...m }],
      }, /member m offset\/bitfield too large for kind_flag/);
    }
  });

  it('rejects an enum value that is not an integer', () => {
    rejected({ kind: BtfKind.ENUM, nameOff: 0, name: 'e', size: 4, signed: false, values: [{ nameOff: 0, name: 'HALF', value: 0.5 }] },
      /enum value HALF is not an integer/);
  });

  it('rejects a FUNC linkage beyond the 16 vlen bits', () => {
    for (const linkage of [0x10000, -1, 1.5]) {
      rejected({ kind: BtfKind.FUNC, nameOff: 0, name: 'f', type: 0, linkage }, new RegExp(`func linkage ${linkage} out of range`));
    }
  });

  it('rejects a DECL_TAG component_idx below -1 or beyond i32', () => {
    for (const componentIdx of [-2, 0x80000000, 0.5]) {
      rejected({ kind: BtfKind.DECL_TAG, nameOff: 0, name: 't', type: 0, componentIdx }, new RegExp(`component_idx ${componentIdx} out of range`));
    }
  });
});

describe('BtfPatch', () => {
  const btf = parse(rawBtf(INT, s.bytes));

  it('refuses split BTF', () => {
    const split = Btf.parse(rawBtf([], Buffer.alloc(0)), { name: 'split', base: btf });
    expect(errorOf(() => new BtfPatch(split))).toMatchObject({ code: 'EINVAL', message: 'btf split: cannot patch split BTF' });
  });

  it('refuses to replace void', () => {
    const p = new BtfPatch(btf);
    expect(errorOf(() => p.replace(0, { kind: BtfKind.PTR, nameOff: 0, name: '', type: 1 }))).toMatchObject({ code: 'EINVAL', message: 'btf t: cannot replace void' });
  });

  it('re-encodes only original types', () => {
    const p = new BtfPatch(btf);
    const added = p.addType({ kind: BtfKind.PTR, nameOff: 0, name: '', type: 1 });
    for (const id of [0, added]) {
      expect(errorOf(() => p.encodeAgain(id))).toMatchObject({ code: 'EINVAL', message: `btf t: type id ${id} is not an original type` });
    }
    p.encodeAgain(1);
    expect(Btf.parse(p.encode()).typeById(1)).toMatchObject({ name: 'int' });
  });
});

describe('.BTF.ext string lookups', () => {
  it('rejects a section name the caller\'s lookup does not give as a string', () => {
    // Header (32 bytes) + func_info: rec_size 8, one section with one record.
    const data = Buffer.alloc(32 + 4 + 8 + 8);
    data.writeUInt16LE(0xeb9f, 0);
    data.writeUInt8(1, 2);
    data.writeUInt32LE(32, 4); // hdr_len
    data.writeUInt32LE(0, 8); // func_info_off
    data.writeUInt32LE(20, 12); // func_info_len
    data.writeUInt32LE(20, 16); // line_info_off
    data.writeUInt32LE(0, 20);
    data.writeUInt32LE(20, 24); // core_relo_off
    data.writeUInt32LE(0, 28);
    data.writeUInt32LE(8, 32); // rec_size
    data.writeUInt32LE(7, 36); // sec_name_off
    data.writeUInt32LE(1, 40); // num_info
    data.writeUInt32LE(0, 44); // insn_off
    data.writeUInt32LE(1, 48); // type_id
    expect(parseBtfExt(data, () => 'tc').funcInfo.get('tc')).toEqual([{ insnOff: 0, typeId: 1 }]);
    expect(errorOf(() => parseBtfExt(data, () => undefined as unknown as string))).toMatchObject({
      code: 'EINVAL', message: expect.stringMatching(/func_info section name at string offset 7 did not resolve to a string/),
    });
  });
});

describe('files that change under the reader', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'btf-rules-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects the blob when a cached index turns out stale and the blob itself is malformed', () => {
    const syn = synthetic(0, 400); // about 20 KiB: room between the 4 KiB edges that key the index
    const path = join(dir, 'vmlinux');
    writeFileSync(path, syn.blob);
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' };
    parseVmlinux(path, cache);
    expect(readFileSync(cachePath(cache)).length).toBeGreaterThan(0);
    // Break one record away from the first and last 4 KiB (which key the index): its info
    // word gets an unknown kind, so its block no longer walks and the rebuild meets it.
    const typeStart = 24;
    const words = (syn.blob.readUInt32LE(12)) / 4;
    let pos = 0;
    let id = 1;
    while (typeStart + pos * 4 < 8192) {
      pos += recordWords(syn.blob.readUInt32LE(typeStart + pos * 4 + 4));
      id++;
    }
    expect(pos).toBeLessThan(words);
    expect(typeStart + pos * 4).toBeLessThan(syn.blob.length - 4096 - 12);
    const broken = Buffer.from(syn.blob);
    broken.writeUInt32LE(info(31), typeStart + pos * 4 + 4);
    writeFileSync(path, broken);
    const btf = parseVmlinux(path, cache);
    expect(errorOf(() => btf.typeById(id))).toMatchObject({
      code: 'EINVAL', offset: typeStart + pos * 4, message: expect.stringMatching(`malformed type record at ${typeStart + pos * 4}`),
    });
  });

  it('refuses entry names that would leave a trusted directory', () => {
    const trusted = openTrustedDir(dir);
    if (!trusted) throw new Error('a fresh private temporary directory should be trusted');
    try {
      for (const name of ['', 'a/b', '.', '..']) expect(() => trusted.path(name)).toThrow(`bad entry name ${name}`);
      expect(trusted.path('idx')).toMatch(/^\/proc\/self\/fd\/\d+\/idx$/);
    } finally {
      trusted.close();
    }
  });
});
