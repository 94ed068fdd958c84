import { parseElf, SHT_PROGBITS, SHT_REL, SHT_SYMTAB } from '../../../lib/elf';
import type { ElfFile, ElfSection } from '../../../lib/elf';
import { BpfError } from '../../../lib/errors';
import { loadFixture, sectionHeaderOffset } from './fixture';

const good = parseElf(loadFixture('sample.o'), 'sample.o');

function section(elf: ElfFile, name: string): ElfSection {
  const s = elf.section(name);
  if (s === undefined) throw new Error(`fixture lacks ${name}`);
  return s;
}

/** A fresh copy of the fixture with `edit` applied. */
function patched(edit: (data: Buffer) => void): Buffer {
  const data = loadFixture('sample.o');
  edit(data);
  return data;
}

/** Runs `fn`, expecting a BpfError with code EINVAL, and returns it. */
function rejection(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BpfError);
    const e = err as BpfError;
    expect(e.code).toBe('EINVAL');
    expect(typeof e.offset).toBe('number');
    return e;
  }
  throw new Error('expected a BpfError, nothing was thrown');
}

const shdr = (name: string) => sectionHeaderOffset(good.buffer, section(good, name).index);

describe('ELF header checks', () => {
  test.each([
    ['not ELF', Buffer.from('this is not an object file at all, just text'), /not an ELF file/, 0],
    ['empty', Buffer.alloc(0), /not an ELF file/, 0],
    ['magic only', Buffer.from([0x7f, 0x45, 0x4c, 0x46]), /truncated ELF identification/, 4],
    ['32-bit', patched((d) => { d[4] = 1; }), /32-bit ELF/, 4],
    ['bad class', patched((d) => { d[4] = 9; }), /invalid ELF class 9/, 4],
    ['big-endian', patched((d) => { d[5] = 2; }), /big-endian ELF is not supported/, 5],
    ['no data encoding', patched((d) => { d[5] = 0; }), /invalid ELF data encoding 0/, 5],
    ['an unknown data encoding', patched((d) => { d[5] = 3; }), /invalid ELF data encoding 3/, 5],
    ['x86-64 machine', patched((d) => { d.writeUInt16LE(62, 18); }), /machine 62 \(EM_X86_64\) is not EM_BPF/, 18],
    ['unknown machine', patched((d) => { d.writeUInt16LE(999, 18); }), /machine 999 \(unknown\) is not EM_BPF/, 18],
    ['ET_EXEC', patched((d) => { d.writeUInt16LE(2, 16); }), /ELF type 2 \(ET_EXEC\) is not ET_REL/, 16],
    ['ET_DYN', patched((d) => { d.writeUInt16LE(3, 16); }), /ELF type 3 \(ET_DYN\) is not ET_REL/, 16],
  ])('rejects %s', (_label, data, message, offset) => {
    const e = rejection(() => parseElf(data, 'x.o'));
    expect(e.message).toMatch(message);
    expect(e.message.startsWith('x.o: ')).toBe(true);
    expect(e.object).toBe('x.o');
    expect(e.offset).toBe(offset);
  });

  test('rejects a file that ends inside the 64-byte ELF header', () => {
    const e = rejection(() => parseElf(Buffer.from(loadFixture('sample.o').subarray(0, 40)), 'short.o'));
    expect(e.message).toBe('short.o: truncated ELF header');
    expect(e.offset).toBe(40);
  });

  test('rejects a file truncated at every 1/64 of its length', () => {
    const full = loadFixture('sample.o');
    for (let k = 0; k < 64; k++) {
      const cut = Math.floor((full.length * k) / 64);
      const e = rejection(() => parseElf(Buffer.from(full.subarray(0, cut)), 'cut.o'));
      expect(e.offset).toBeLessThanOrEqual(full.length);
    }
  });

  test('rejects e_shoff past the end of the file', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(BigInt(d.length + 8), 40))));
    expect(e.message).toMatch(/section header table .* ends past the end of the file/);
    expect(e.offset).toBe(40);
  });

  test('rejects e_shoff too large for a number', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(0xffffffffffffff00n, 40))));
    expect(e.message).toMatch(/e_shoff 0xffffffffffffff00 is too large/);
  });

  test('rejects a missing section header table, a wrong e_shentsize and extended numbering', () => {
    expect(rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(0n, 40)))).message).toMatch(/no section header table/);
    expect(rejection(() => parseElf(patched((d) => d.writeUInt16LE(40, 58)))).offset).toBe(58);
    expect(rejection(() => parseElf(patched((d) => d.writeUInt16LE(0, 60)))).message).toMatch(/extended section numbering/);
  });

  test('rejects e_shstrndx out of range or not a string table', () => {
    const out = rejection(() => parseElf(patched((d) => d.writeUInt16LE(34, 62))));
    expect(out.message).toMatch(/e_shstrndx 34 is out of range \(34 sections\)/);
    expect(out.offset).toBe(62);
    expect(rejection(() => parseElf(patched((d) => d.writeUInt16LE(0xffff, 62)))).message).toMatch(/SHN_XINDEX/);
    const notStrtab = rejection(() => parseElf(patched((d) => d.writeUInt16LE(section(good, '.text').index, 62))));
    expect(notStrtab.message).toMatch(/is not a string table/);
  });

  test('rejects a program header table outside the file', () => {
    const e = rejection(() => parseElf(patched((d) => {
      d.writeUInt16LE(3, 56);
      d.writeUInt16LE(56, 54);
      d.writeBigUInt64LE(BigInt(d.length - 10), 32);
    })));
    expect(e.message).toMatch(/program header table ends past the end/);
  });

  test('rejects program headers of another entry size', () => {
    const e = rejection(() => parseElf(patched((d) => {
      d.writeUInt16LE(1, 56);
      d.writeUInt16LE(32, 54); // ELF32 program headers are 32 bytes, ELF64 ones 56
      d.writeBigUInt64LE(64n, 32);
    })));
    expect(e.message).toMatch(/e_phentsize 32, expected 56/);
    expect(e.offset).toBe(54);
    // The same table with the right entry size is accepted (a relocatable object ignores it).
    expect(parseElf(patched((d) => {
      d.writeUInt16LE(1, 56);
      d.writeUInt16LE(56, 54);
      d.writeBigUInt64LE(64n, 32);
    })).sections.length).toBe(good.sections.length);
  });
});

describe('section header checks', () => {
  test('rejects a section whose offset is past the end, naming it and its header offset', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(BigInt(d.length + 1), shdr('tc') + 24)), 's.o'));
    expect(e.message).toMatch(/^s\.o: section 4 \(tc\): offset .* ends past the end of the file/);
    expect(e.section).toBe('tc');
    expect(e.offset).toBe(shdr('tc') + 24);
  });

  test('rejects a section whose size runs past the end', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(BigInt(d.length), shdr('.BTF') + 32))));
    expect(e.section).toBe('.BTF');
  });

  test('accepts a NOBITS offset past the end, but not a NOBITS size above 4 GiB', () => {
    const moved = parseElf(patched((d) => d.writeBigUInt64LE(BigInt(d.length + 100), shdr('.bss') + 24)));
    expect(section(moved, '.bss')).toMatchObject({ size: 8, data: Buffer.alloc(0) });
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(1n << 40n, shdr('.bss') + 32))));
    expect(e.message).toMatch(/SHT_NOBITS size .* is too large/);
  });

  test('rejects a section name outside the name table or not NUL-terminated in it', () => {
    const far = rejection(() => parseElf(patched((d) => d.writeUInt32LE(0xffffff, shdr('tc')))));
    expect(far.message).toMatch(/section 4: name offset 16777215 is not a NUL-terminated string/);
    expect(far.offset).toBe(shdr('tc'));
    // Overwrite the final NUL of the name table: the last name in it is no longer terminated.
    const strtab = section(good, '.strtab');
    const e = rejection(() => parseElf(patched((d) => { d[strtab.offset + strtab.size - 1] = 0x41; })));
    expect(e.message).toMatch(/is not a NUL-terminated string inside/);
  });

  test('rejects a non-NULL section 0', () => {
    expect(rejection(() => parseElf(patched((d) => d.writeUInt32LE(SHT_PROGBITS, sectionHeaderOffset(d, 0) + 4)))).message)
      .toMatch(/section 0.*expected SHT_NULL/);
  });
});

describe('symbol table checks', () => {
  const symtab = section(good, '.symtab');

  test('rejects a wrong .symtab entsize', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(16n, shdr('.symtab') + 56))));
    expect(e.message).toMatch(/\.symtab: sh_entsize 16, expected 24/);
    expect(e.section).toBe('.symtab');
  });

  test('rejects a .symtab size that is not a whole number of entries', () => {
    expect(rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(BigInt(symtab.size - 1), shdr('.symtab') + 32)))).message)
      .toMatch(/not a multiple of 24/);
  });

  test('rejects a .symtab whose sh_link is not a string table', () => {
    expect(rejection(() => parseElf(patched((d) => d.writeUInt32LE(2, shdr('.symtab') + 40)))).message).toMatch(/sh_link 2 is not a string table/);
  });

  test('rejects a symbol name outside the string table, with the symbol\'s offset', () => {
    const sym = good.symbolByName('tc_first');
    if (sym === undefined) throw new Error('fixture lacks tc_first');
    const at = symtab.offset + sym.index * 24;
    const e = rejection(() => parseElf(patched((d) => d.writeUInt32LE(0x7fffffff, at))));
    expect(e.message).toMatch(new RegExp(`symbol ${sym.index}: name offset`));
    expect(e.offset).toBe(at);
  });

  test('rejects a symbol st_shndx past the section count', () => {
    const at = symtab.offset + 4 * 24 + 6;
    const e = rejection(() => parseElf(patched((d) => d.writeUInt16LE(500, at))));
    expect(e.message).toMatch(/symbol 4: st_shndx 500 is out of range/);
    expect(e.offset).toBe(at);
  });

  test('rejects a symbol whose section index lives in SHT_SYMTAB_SHNDX', () => {
    const at = symtab.offset + 4 * 24 + 6;
    const e = rejection(() => parseElf(patched((d) => d.writeUInt16LE(0xffff, at))));
    expect(e.message).toMatch(/symbol 4: SHN_XINDEX section indices are not supported/);
    expect(e.offset).toBe(at);
  });

  test('a file without .symtab or relocations has no symbols', () => {
    const stripped = parseElf(patched((d) => {
      for (const s of good.sections) {
        if (s.type === SHT_SYMTAB || s.type === SHT_REL) d.writeUInt32LE(SHT_PROGBITS, sectionHeaderOffset(d, s.index) + 4);
      }
    }));
    expect(stripped.symbols).toEqual([]);
    expect(stripped.relocationsFor(section(stripped, '.struct_ops'))).toEqual([]);
  });

  test('rejects relocation sections when there is no symbol table', () => {
    const e = rejection(() => parseElf(patched((d) => d.writeUInt32LE(SHT_PROGBITS, shdr('.symtab') + 4))));
    expect(e.message).toMatch(/sh_link 33 is not the symbol table/);
  });

  test('rejects two symbol tables', () => {
    expect(rejection(() => parseElf(patched((d) => d.writeUInt32LE(SHT_SYMTAB, shdr('.BTF') + 4)))).message).toMatch(/2 SHT_SYMTAB sections/);
  });
});

describe('relocation checks', () => {
  const rel = section(good, '.rel.struct_ops');

  test('rejects a relocation symbol index out of range, naming the record offset', () => {
    const elf = parseElf(patched((d) => d.writeUInt32LE(9999, rel.offset + 12)));
    const e = rejection(() => elf.relocationsFor(section(elf, '.struct_ops')));
    expect(e.message).toMatch(/\.rel\.struct_ops: relocation 0 refers to symbol 9999, but the symbol table has 26 entries/);
    expect(e.section).toBe('.rel.struct_ops');
    expect(e.offset).toBe(rel.offset);
  });

  test('rejects a relocation that patches bytes outside its target', () => {
    const elf = parseElf(patched((d) => d.writeUInt32LE(12, rel.offset)));
    const e = rejection(() => elf.relocationsFor(section(elf, '.struct_ops')));
    expect(e.message).toMatch(/relocation 0 at 0xc \(8 bytes\) is outside \.struct_ops \(16 bytes\)/);
    const high = parseElf(patched((d) => d.writeUInt32LE(1, rel.offset + 4)));
    expect(rejection(() => high.relocationsFor(section(high, '.struct_ops'))).message).toMatch(/at 0x100000000 /);
  });

  test('rejects relocation section headers with a wrong entsize, sh_link or sh_info', () => {
    const at = shdr('.rel.struct_ops');
    expect(rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(24n, at + 56)))).message).toMatch(/sh_entsize 24, expected 16/);
    expect(rejection(() => parseElf(patched((d) => d.writeBigUInt64LE(17n, at + 32)))).message).toMatch(/not a multiple of 16/);
    expect(rejection(() => parseElf(patched((d) => d.writeUInt32LE(1, at + 40)))).message).toMatch(/sh_link 1 is not the symbol table/);
    expect(rejection(() => parseElf(patched((d) => d.writeUInt32LE(77, at + 44)))).message).toMatch(/sh_info 77 names no section/);
  });

  test('reads SHT_RELA records with their addend', () => {
    const elf = parseElf(patched((d) => {
      // Turn .rel.struct_ops into a one-record RELA section reusing the following bytes as the addend.
      const at = sectionHeaderOffset(d, section(good, '.rel.struct_ops').index);
      d.writeUInt32LE(4, at + 4);
      d.writeBigUInt64LE(24n, at + 32);
      d.writeBigUInt64LE(24n, at + 56);
      d.writeBigInt64LE(-8n, rel.offset + 16);
    }));
    expect(elf.relocationsFor(section(elf, '.struct_ops'))).toEqual([
      { offset: 0, symbol: good.symbolByName('foo_init')?.index, type: 2, addend: -8 },
    ]);
  });

  test('rejects a SHT_RELA addend beyond the safe integers, at the addend', () => {
    const elf = parseElf(patched((d) => {
      const at = sectionHeaderOffset(d, section(good, '.rel.struct_ops').index);
      d.writeUInt32LE(4, at + 4);
      d.writeBigUInt64LE(24n, at + 32);
      d.writeBigUInt64LE(24n, at + 56);
      d.writeBigInt64LE(1n << 60n, rel.offset + 16);
    }));
    const e = rejection(() => elf.relocationsFor(section(elf, '.struct_ops')));
    expect(e.message).toMatch(/\.rel\.struct_ops: relocation 0 addend 1152921504606846976 is too large/);
    expect(e.offset).toBe(rel.offset + 16);
  });
});

test('rejects a non-Buffer argument', () => {
  expect(rejection(() => parseElf('sample.o' as unknown as Buffer)).message).toMatch(/expected a Buffer/);
});
