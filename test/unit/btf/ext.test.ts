import { readFileSync } from 'node:fs';
import { CoreReloKind, lineColumn, lineNumber, parseBtfExt } from '../../../lib/btf/ext';
import type { BtfExt } from '../../../lib/btf/ext';
import { parseElf, STT_FUNC } from '../../../lib/elf';
import type { ElfSection } from '../../../lib/elf';
import { BpfError } from '../../../lib/errors';
import { btfStringResolver, fixturePath, loadFixture, runTool } from '../elf/fixture';

const elf = parseElf(loadFixture('sample.o'), 'sample.o');
const stringAt = btfStringResolver(elf);
const extSection = elf.section('.BTF.ext') as ElfSection;
const ext: BtfExt = parseBtfExt(extSection.data, stringAt);

function sectionIndex(name: string): number {
  const s = elf.section(name);
  if (s === undefined) throw new Error(`fixture lacks ${name}`);
  return s.index;
}

function rejection(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BpfError);
    const e = err as BpfError;
    expect(e.code).toBe('EINVAL');
    expect(e.section).toBe('.BTF.ext');
    expect(typeof e.offset).toBe('number');
    return e;
  }
  throw new Error('expected a BpfError, nothing was thrown');
}

describe('parseBtfExt on sample.o', () => {
  test('record sizes are the ones clang-19 writes', () => {
    expect([ext.funcInfoRecSize, ext.lineInfoRecSize, ext.coreReloRecSize]).toEqual([8, 16, 16]);
  });

  test('func_info: one record per function, at the function symbol\'s offset', () => {
    expect([...ext.funcInfo.keys()]).toEqual(['tc', '.text', 'struct_ops/foo_init']);
    expect(ext.funcInfo.get('tc')).toEqual([{ insnOff: 0, typeId: 9 }, { insnOff: 104, typeId: 13 }]);
    expect(ext.funcInfo.get('.text')).toEqual([{ insnOff: 0, typeId: 11 }]);
    expect(ext.funcInfo.get('struct_ops/foo_init')).toEqual([{ insnOff: 0, typeId: 15 }]);
    for (const [section, records] of ext.funcInfo) {
      const funcs = elf.symbolsIn(sectionIndex(section)).filter((s) => s.type === STT_FUNC);
      expect(records.map((r) => r.insnOff)).toEqual(funcs.map((f) => f.value));
    }
  });

  test('line_info: counts per section, and each line text is that line of sample.c', () => {
    expect([...ext.lineInfo].map(([name, records]) => [name, records.length])).toEqual([
      ['tc', 11], ['.text', 7], ['struct_ops/foo_init', 1],
    ]);
    const source = readFileSync(fixturePath('sample.c'), 'utf8').split('\n');
    for (const [section, records] of ext.lineInfo) {
      const size = elf.sectionAt(sectionIndex(section)).size;
      for (const r of records) {
        expect(r.insnOff).toBeLessThan(size);
        expect(stringAt(r.fileNameOff)).toMatch(/sample\.c$/);
        expect(stringAt(r.lineOff)).toBe(source[lineNumber(r.lineCol) - 1]);
      }
    }
    expect(ext.lineInfo.get('tc')?.[0]).toMatchObject({ insnOff: 0 });
    const first = ext.lineInfo.get('tc')?.[0]?.lineCol ?? 0;
    expect([lineNumber(first), lineColumn(first)]).toEqual([47, 16]);
  });

  test('core_relo: the four field/type relocations of tc', () => {
    expect([...ext.coreRelos.keys()]).toEqual(['tc']);
    expect(ext.coreRelos.get('tc')?.map(({ insnOff, typeId, accessStr, kind }) => ({ insnOff, typeId, accessStr, kind }))).toEqual([
      { insnOff: 0, typeId: 2, accessStr: '0:1', kind: CoreReloKind.FIELD_BYTE_OFFSET },
      { insnOff: 8, typeId: 2, accessStr: '0:2', kind: CoreReloKind.FIELD_EXISTS },
      { insnOff: 24, typeId: 2, accessStr: '0', kind: CoreReloKind.TYPE_SIZE },
      { insnOff: 112, typeId: 2, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET },
    ]);
    for (const r of ext.coreRelos.get('tc') ?? []) expect(stringAt(r.accessStrOff)).toBe(r.accessStr);
  });

  test('CoreReloKind follows enum bpf_core_relo_kind', () => {
    expect([CoreReloKind.FIELD_BYTE_OFFSET, CoreReloKind.FIELD_RSHIFT_U64, CoreReloKind.TYPE_ID_LOCAL, CoreReloKind.TYPE_MATCHES])
      .toEqual([0, 5, 6, 12]);
  });
});

const objdump = runTool('llvm-objdump-19', ['-d', '-r', fixturePath('sample.o')]);
const bpftool = runTool('bpftool', ['btf', 'dump', 'file', fixturePath('sample.o')]);

(objdump === undefined ? describe.skip : describe)('agrees with llvm-objdump-19 -d -r CO-RE annotations', () => {
  // llvm-objdump's names for the relocation kinds it printed for this fixture.
  const kinds: Record<string, number> = { byte_off: 0, byte_sz: 1, field_exists: 2, signed: 3, type_size: 9 };

  test('same sections, offsets, type ids, kinds and access strings', () => {
    const seen: { section: string; insnOff: number; typeId: number; kind: number; access?: string }[] = [];
    let section = '';
    for (const line of (objdump ?? '').split('\n')) {
      const header = /^Disassembly of section (.*):$/.exec(line);
      if (header) section = header[1];
      const m = /^\s+([0-9a-f]+):\s+CO-RE <(\w+)> \[(\d+)\][^(]*(?:\(([\d:]+)\))?\s*$/.exec(line);
      if (m) {
        expect(kinds[m[2]]).toBeDefined();
        seen.push({ section, insnOff: parseInt(m[1], 16), typeId: Number(m[3]), kind: kinds[m[2]], access: m[4] });
      }
    }
    expect(seen).toHaveLength(4);
    const ours = [...ext.coreRelos].flatMap(([s, rs]) => rs.map((r) => ({ section: s, insnOff: r.insnOff, typeId: r.typeId, kind: r.kind, access: r.accessStr })));
    // llvm-objdump omits the access string of type-based relocations ("0").
    expect(ours.map((o, i) => ({ ...o, access: seen[i]?.access === undefined ? undefined : o.access }))).toEqual(seen);
  });
});

(bpftool === undefined ? describe.skip : describe)('agrees with bpftool btf dump', () => {
  test('each func_info type id is the FUNC of the symbol at that offset', () => {
    for (const [section, records] of ext.funcInfo) {
      for (const r of records) {
        const sym = elf.symbolsIn(sectionIndex(section)).find((s) => s.type === STT_FUNC && s.value === r.insnOff);
        expect(bpftool).toContain(`[${r.typeId}] FUNC '${sym?.name}'`);
      }
    }
  });
});

/** Builds a .BTF.ext image; each block is {recSize, groups: [[nameOff, ...records as u32 arrays]]}. */
interface Block { recSize: number; groups: { nameOff: number; count?: number; records: number[][] }[] }
function buildExt(opts: { hdrLen?: number; func?: Block; line?: Block; core?: Block; pad?: number }): Buffer {
  const hdrLen = opts.hdrLen ?? 32;
  const encode = (b: Block | undefined): Buffer => {
    if (b === undefined) return Buffer.alloc(0);
    const words = [b.recSize];
    for (const g of b.groups) {
      words.push(g.nameOff, g.count ?? g.records.length);
      for (const r of g.records) words.push(...r);
    }
    const out = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => out.writeUInt32LE(w >>> 0, i * 4));
    return out;
  };
  const blocks = [encode(opts.func), encode(opts.line), encode(opts.core)];
  const header = Buffer.alloc(hdrLen);
  header.writeUInt16LE(0xeb9f, 0);
  header[2] = 1;
  header.writeUInt32LE(hdrLen, 4);
  let off = 0;
  blocks.forEach((b, i) => {
    if (8 + i * 8 + 8 > hdrLen) return;
    header.writeUInt32LE(b.length === 0 ? 0 : off, 8 + i * 8);
    header.writeUInt32LE(b.length, 12 + i * 8);
    off += b.length;
  });
  return Buffer.concat([header, ...blocks, Buffer.alloc(opts.pad ?? 0)]);
}

const strings = '\0tc\0.text\x000:1\0';
const fakeStringAt = (off: number): string => {
  const end = strings.indexOf('\0', off);
  if (off < 0 || off >= strings.length || end < 0) throw new Error(`bad string offset ${off}`);
  return strings.slice(off, end);
};
const TC = 1;
const TEXT = 4;
const ACCESS = 10;

describe('parseBtfExt on synthetic sections', () => {
  test('reads the known prefix of records larger than it knows and steps by the record size', () => {
    const ext2 = parseBtfExt(buildExt({
      func: { recSize: 12, groups: [{ nameOff: TC, records: [[0, 3, 0xdead], [16, 4, 0xbeef]] }] },
      line: { recSize: 20, groups: [{ nameOff: TEXT, records: [[8, 1, 2, (7 << 10) | 3, 0]] }] },
      core: { recSize: 24, groups: [{ nameOff: TC, records: [[8, 2, ACCESS, 0, 1, 1]] }] },
    }), fakeStringAt);
    expect(ext2.funcInfoRecSize).toBe(12);
    expect(ext2.funcInfo.get('tc')).toEqual([{ insnOff: 0, typeId: 3 }, { insnOff: 16, typeId: 4 }]);
    expect(ext2.lineInfo.get('.text')).toEqual([{ insnOff: 8, fileNameOff: 1, lineOff: 2, lineCol: (7 << 10) | 3 }]);
    expect(ext2.coreRelos.get('tc')).toEqual([{ insnOff: 8, typeId: 2, accessStrOff: ACCESS, accessStr: '0:1', kind: 0 }]);
  });

  test('a 24-byte header has no core_relo block; a longer header is accepted', () => {
    const short = parseBtfExt(buildExt({ hdrLen: 24, func: { recSize: 8, groups: [{ nameOff: TC, records: [[0, 1]] }] } }), fakeStringAt);
    expect(short.coreReloRecSize).toBe(0);
    expect(short.coreRelos.size).toBe(0);
    expect(short.lineInfo.size).toBe(0);
    const long = parseBtfExt(buildExt({ hdrLen: 40, core: { recSize: 16, groups: [{ nameOff: TC, records: [[0, 1, ACCESS, 0]] }] } }), fakeStringAt);
    expect(long.coreRelos.get('tc')).toHaveLength(1);
  });

  test('groups repeated for one section are concatenated', () => {
    const ext2 = parseBtfExt(buildExt({
      func: { recSize: 8, groups: [{ nameOff: TC, records: [[0, 1]] }, { nameOff: TC, records: [[8, 2]] }] },
    }), fakeStringAt);
    expect(ext2.funcInfo.get('tc')).toEqual([{ insnOff: 0, typeId: 1 }, { insnOff: 8, typeId: 2 }]);
  });

  test('rejects a record size smaller than the known layout, at the record size field', () => {
    const e = rejection(() => parseBtfExt(buildExt({ func: { recSize: 4, groups: [{ nameOff: TC, records: [[0], [8]] }] } }), fakeStringAt));
    expect(e.message).toMatch(/func_info record size 4 is invalid/);
    expect(e.offset).toBe(32);
    expect(rejection(() => parseBtfExt(buildExt({ line: { recSize: 18, groups: [] } }), fakeStringAt)).message).toMatch(/record size 18/);
  });

  test('rejects a record count running past the block end, at the count field', () => {
    for (const count of [3, 0x10000000, 0xffffffff]) {
      const e = rejection(() => parseBtfExt(buildExt({ func: { recSize: 8, groups: [{ nameOff: TC, count, records: [[0, 1], [8, 2]] }] } }), fakeStringAt));
      expect(e.message).toMatch(/records of 8 bytes run past the block end/);
      expect(e.offset).toBe(32 + 4 + 4);
    }
  });

  test('rejects bad headers', () => {
    const good = buildExt({ func: { recSize: 8, groups: [{ nameOff: TC, records: [[0, 1]] }] } });
    const edit = (f: (d: Buffer) => void) => { const d = Buffer.from(good); f(d); return d; };
    expect(rejection(() => parseBtfExt(Buffer.alloc(4), fakeStringAt)).message).toMatch(/too short/);
    expect(rejection(() => parseBtfExt(edit((d) => d.writeUInt16LE(0x1234, 0)), fakeStringAt)).message).toMatch(/bad magic 0x1234/);
    expect(rejection(() => parseBtfExt(edit((d) => d.writeUInt16BE(0xeb9f, 0)), fakeStringAt)).message).toMatch(/big-endian/);
    expect(rejection(() => parseBtfExt(edit((d) => { d[2] = 2; }), fakeStringAt)).offset).toBe(2);
    expect(rejection(() => parseBtfExt(edit((d) => { d[3] = 1; }), fakeStringAt)).offset).toBe(3);
    expect(rejection(() => parseBtfExt(edit((d) => d.writeUInt32LE(16, 4)), fakeStringAt)).message).toMatch(/header length 16/);
    expect(rejection(() => parseBtfExt(edit((d) => d.writeUInt32LE(d.length + 1, 4)), fakeStringAt)).offset).toBe(4);
  });

  test('rejects blocks outside the section or misaligned', () => {
    const d = buildExt({ func: { recSize: 8, groups: [{ nameOff: TC, records: [[0, 1]] }] } });
    const past = Buffer.from(d);
    past.writeUInt32LE(d.length, 12);
    expect(rejection(() => parseBtfExt(past, fakeStringAt)).message).toMatch(/func_info block .* ends past the section/);
    const misaligned = Buffer.concat([d, Buffer.alloc(4)]);
    misaligned.writeUInt32LE(2, 8);
    expect(rejection(() => parseBtfExt(misaligned, fakeStringAt)).message).toMatch(/not 4-byte aligned/);
    const tiny = Buffer.from(d);
    tiny.writeUInt32LE(2, 12);
    expect(rejection(() => parseBtfExt(tiny, fakeStringAt)).message).toMatch(/has no record size/);
  });

  test('rejects truncated group headers, empty groups, empty names and unaligned insn_off', () => {
    const trunc = buildExt({ func: { recSize: 8, groups: [] }, pad: 4 });
    trunc.writeUInt32LE(8, 12);
    expect(rejection(() => parseBtfExt(trunc, fakeStringAt)).message).toMatch(/truncated section header/);
    expect(rejection(() => parseBtfExt(buildExt({ func: { recSize: 8, groups: [{ nameOff: TC, records: [] }] } }), fakeStringAt)).message)
      .toMatch(/func_info for tc: no records/);
    expect(rejection(() => parseBtfExt(buildExt({ func: { recSize: 8, groups: [{ nameOff: 0, records: [[0, 1]] }] } }), fakeStringAt)).message)
      .toMatch(/empty section name/);
    const e = rejection(() => parseBtfExt(buildExt({ line: { recSize: 16, groups: [{ nameOff: TC, records: [[0, 1, 1, 1], [12, 1, 1, 1]] }] } }), fakeStringAt));
    expect(e.message).toMatch(/line_info for tc: insn_off 12 is not a multiple of 8/);
    expect(e.offset).toBe(32 + 4 + 8 + 16);
  });

  test('wraps string lookup failures with the record offset and the original cause', () => {
    const e = rejection(() => parseBtfExt(buildExt({ core: { recSize: 16, groups: [{ nameOff: TC, records: [[0, 1, 999, 0]] }] } }), fakeStringAt));
    expect(e.message).toMatch(/core_relo access string at string offset 999: bad string offset 999/);
    expect(e.offset).toBe(32 + 4 + 8);
    expect((e as Error & { cause?: unknown }).cause).toBeInstanceOf(Error);
    const name = rejection(() => parseBtfExt(buildExt({ func: { recSize: 8, groups: [{ nameOff: 500, records: [[0, 1]] }] } }), fakeStringAt));
    expect(name.message).toMatch(/func_info section name at string offset 500/);
  });

  test('rejects every truncation of the fixture\'s .BTF.ext header or blocks', () => {
    const full = extSection.data;
    for (let k = 0; k < 32; k++) {
      const cut = Math.floor((full.length * k) / 32);
      rejection(() => parseBtfExt(Buffer.from(full.subarray(0, cut)), stringAt));
    }
  });
});
