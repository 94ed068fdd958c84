import {
  parseElf, R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS, SHT_NOBITS,
  SHT_PROGBITS, SHT_REL, SHT_STRTAB, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STT_FILE, STT_FUNC, STT_OBJECT, STT_SECTION,
  STV_DEFAULT, STV_HIDDEN,
} from '../../../lib/elf';
import type { ElfFile, ElfSection } from '../../../lib/elf';
import { isBpfError } from '../../../lib/errors';
import { fixturePath, loadFixture, runTool } from './fixture';

const elf: ElfFile = parseElf(loadFixture('sample.o'), 'sample.o');

function must(name: string): ElfSection {
  const section = elf.section(name);
  if (section === undefined) throw new Error(`fixture lacks ${name}`);
  return section;
}

function symbolIndex(name: string): number {
  const symbol = elf.symbolByName(name);
  if (symbol === undefined) throw new Error(`fixture lacks symbol ${name}`);
  return symbol.index;
}

describe('parseElf on sample.o (facts checked with llvm-readelf-19 -S -s -r)', () => {
  test('keeps the file name and buffer', () => {
    expect(elf.fileName).toBe('sample.o');
    expect(elf.buffer.length).toBeGreaterThan(0);
    expect(parseElf(loadFixture('sample.o')).fileName).toBe('<buffer>');
  });

  test('sections are indexed by section index with their header fields', () => {
    expect(elf.sections).toHaveLength(34);
    elf.sections.forEach((s, i) => expect(s.index).toBe(i));
    expect(elf.sections[0]).toMatchObject({ name: '', type: 0, size: 0 });
    expect(must('tc')).toMatchObject({
      index: 4, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, size: 0xb8, addralign: 8, entsize: 0,
    });
    expect(must('.text')).toMatchObject({ index: 2, offset: 0x40, size: 0x98 });
    expect(must('.data')).toMatchObject({ type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, size: 12, addralign: 4 });
    expect(must('.rodata')).toMatchObject({ flags: SHF_ALLOC, size: 4 });
    expect(must('.struct_ops')).toMatchObject({ flags: SHF_WRITE | SHF_ALLOC, size: 16, addralign: 8 });
    expect(must('.rel.struct_ops')).toMatchObject({ type: SHT_REL, link: 33, info: 9, entsize: 16, addralign: 8 });
    expect(must('.symtab')).toMatchObject({ index: 33, type: SHT_SYMTAB, link: 1, info: 17, entsize: 24 });
    expect(must('.strtab').type).toBe(SHT_STRTAB);
    // The two fields elfy 1.0.0 misreads: sh_entsize 1 for mergeable strings, sh_addralign 4 for .BTF.
    expect(must('.debug_str')).toMatchObject({ entsize: 1, addralign: 1 });
    expect(must('.BTF')).toMatchObject({ addralign: 4, entsize: 0 });
  });

  test('section data is a view of the file bytes; .bss keeps its size but has no data', () => {
    const license = must('license');
    expect(license.data.toString('latin1')).toBe('GPL\0');
    expect(elf.buffer.subarray(license.offset, license.offset + license.size).equals(license.data)).toBe(true);
    expect(must('.data').data.readInt32LE(0)).toBe(7);
    expect(must('.rodata').data.readUInt32LE(0)).toBe(42);
    const bss = must('.bss');
    expect(bss.type).toBe(SHT_NOBITS);
    expect(bss.size).toBe(8);
    expect(bss.data.length).toBe(0);
  });

  test('sectionAt returns sections and rejects bad indices with BpfError', () => {
    expect(elf.sectionAt(9).name).toBe('.struct_ops');
    for (const bad of [-1, 34, 1.5, Number.NaN]) {
      expect(() => elf.sectionAt(bad)).toThrow(expect.objectContaining({ name: 'BpfError', code: 'EINVAL' }));
    }
    expect(elf.section('nope')).toBeUndefined();
  });

  test('symbols carry type, binding, visibility, value, size and section', () => {
    expect(elf.symbols).toHaveLength(26);
    elf.symbols.forEach((s, i) => expect(s.index).toBe(i));
    expect(elf.symbolByName('tc_first')).toMatchObject({ type: STT_FUNC, bind: STB_GLOBAL, visibility: STV_DEFAULT, shndx: 4, value: 0, size: 104 });
    expect(elf.symbolByName('tc_second')).toMatchObject({ type: STT_FUNC, bind: STB_GLOBAL, shndx: 4, value: 104, size: 80 });
    expect(elf.symbolByName('bump')).toMatchObject({ type: STT_FUNC, bind: STB_LOCAL, shndx: 2, value: 0, size: 152 });
    expect(elf.symbolByName('hidden_var')).toMatchObject({ type: STT_OBJECT, bind: STB_GLOBAL, visibility: STV_HIDDEN, shndx: 7, value: 4 });
    expect(elf.symbolByName('local_knob')).toMatchObject({ type: STT_OBJECT, bind: STB_LOCAL, shndx: 7, value: 8, size: 4 });
    expect(elf.symbolByName('hits')).toMatchObject({ type: STT_OBJECT, shndx: 12, size: 8 });
    expect(elf.symbolByName('sample_ops')).toMatchObject({ type: STT_OBJECT, shndx: 9, size: 16 });
    expect(elf.symbolByName('sample.c')).toMatchObject({ type: STT_FILE, shndx: SHN_ABS });
    // Section symbols have no name of their own; they take their section's.
    expect(elf.symbols[2]).toMatchObject({ name: '.text', type: STT_SECTION, shndx: 2 });
    expect(elf.symbolByName('')).toBeUndefined();
    expect(elf.symbolByName('missing')).toBeUndefined();
  });

  test('symbolsIn lists a section\'s symbols sorted by value', () => {
    expect(elf.symbolsIn(4).map((s) => s.name)).toEqual(['tc', 'tc_first', 'tc_second']);
    expect(elf.symbolsIn(7).map((s) => [s.name, s.value])).toEqual([['.data', 0], ['counter', 0], ['hidden_var', 4], ['local_knob', 8]]);
    expect(elf.symbolsIn(12).map((s) => s.name)).toEqual(['hits']);
    expect(elf.symbolsIn(99)).toEqual([]);
  });

  test('relocations of program and .struct_ops sections', () => {
    expect(elf.relocationsFor(must('.struct_ops'))).toEqual([
      { offset: 0, symbol: symbolIndex('foo_init'), type: R_BPF_64_ABS64, addend: 0 },
    ]);
    // Static subprogram calls relocate against the .text section symbol (index 2).
    expect(elf.relocationsFor(must('tc'))).toEqual([
      { offset: 0x30, symbol: 2, type: R_BPF_64_32, addend: 0 },
      { offset: 0x38, symbol: symbolIndex('threshold'), type: R_BPF_64_64, addend: 0 },
      { offset: 0xa8, symbol: 2, type: R_BPF_64_32, addend: 0 },
    ]);
    expect(elf.relocationsFor(must('.text')).map((r) => [r.offset, elf.symbols[r.symbol].name])).toEqual([
      [0x00, 'hits'], [0x28, '.data'], [0x48, 'hidden_var'], [0x68, 'counter'],
    ]);
    expect(elf.relocationsFor(must('license'))).toEqual([]);
    // Cached: the same array comes back.
    expect(elf.relocationsFor(must('tc'))).toBe(elf.relocationsFor(must('tc')));
  });
});

interface ReadobjSection { Section: { Index: number; Name: { Name: string }; Type: { Value: number }; Flags: { Value: number };
  Offset: number; Size: number; Link: number; Info: number; AddressAlignment: number; EntrySize: number } }
interface ReadobjSymbol { Symbol: { Name: { Name: string }; Value: number; Size: number; Binding: { Value: number };
  Type: { Value: number }; Other: { Value: number }; Section: { Value: number } } }
interface ReadobjRelocs { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: { Value: number }; Symbol: { Value: number } } }[] }
interface Readobj { Sections: ReadobjSection[]; Symbols: ReadobjSymbol[]; Relocations: ReadobjRelocs[] }

const readobjOut = runTool('llvm-readobj-19', ['--elf-output-style=JSON', '-S', '-s', '-r', fixturePath('sample.o')]);
const describeWithTool = readobjOut === undefined ? describe.skip : describe;

describeWithTool('parseElf agrees with llvm-readobj-19 --elf-output-style=JSON', () => {
  const ref = (JSON.parse(readobjOut ?? '[{}]') as Readobj[])[0];

  test('every section header', () => {
    expect(elf.sections.map((s) => [s.index, s.name, s.type, s.flags, s.offset, s.size, s.link, s.info, s.addralign, s.entsize]))
      .toEqual(ref.Sections.map(({ Section: s }) => [s.Index, s.Name.Name, s.Type.Value, s.Flags.Value, s.Offset, s.Size,
        s.Link, s.Info, s.AddressAlignment, s.EntrySize]));
  });

  test('every symbol', () => {
    expect(elf.symbols.map((s) => [s.value, s.size, s.bind, s.type, s.visibility, s.shndx]))
      .toEqual(ref.Symbols.map(({ Symbol: s }) => [s.Value, s.Size, s.Binding.Value, s.Type.Value, s.Other.Value & 3, s.Section.Value]));
    ref.Symbols.forEach(({ Symbol: s }, i) => {
      if (s.Name.Name !== '') expect(elf.symbols[i].name).toBe(s.Name.Name);
    });
  });

  test('every relocation section', () => {
    expect(ref.Relocations.length).toBeGreaterThan(5);
    for (const group of ref.Relocations) {
      const target = elf.sectionAt(elf.sectionAt(group.SectionIndex).info);
      expect(elf.relocationsFor(target).map((r) => [r.offset, r.type, r.symbol]))
        .toEqual(group.Relocs.map(({ Relocation: r }) => [r.Offset, r.Type.Value, r.Symbol.Value]));
    }
  });
});

test('errors are BpfErrors recognisable across realms', () => {
  try {
    elf.sectionAt(1000);
    throw new Error('not thrown');
  } catch (err) {
    expect(isBpfError(err)).toBe(true);
  }
});
