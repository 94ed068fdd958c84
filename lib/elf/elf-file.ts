// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** ElfFile: a parsed BPF relocatable object, and parseElf, which builds one. */

import { malformed } from '../errors';
import { readElfHeader, readSectionHeaders } from './header';
import { checkRelocationSection, isRelocationSection, parseRelocations } from './relocations';
import { buildSections } from './sections';
import { findSymtab, parseSymbols } from './symbols';
import type { ElfRelocation, ElfSection, ElfSymbol } from './types';

/**
 * A parsed 64-bit little-endian EM_BPF ET_REL object: its sections, symbols and, on
 * demand, relocations. Built by {@link parseElf}; holds views into the original buffer.
 */
export class ElfFile {
  /** Name used in error messages (a path, or `'<buffer>'`). */
  readonly fileName: string;
  /** The whole file; section `data` are views into it. */
  readonly buffer: Buffer;
  /** All sections; the array index is the section index (0 is the SHT_NULL entry). */
  readonly sections: ElfSection[];
  /** All .symtab entries; the array index is the symbol index ([] if there is no .symtab). */
  readonly symbols: ElfSymbol[];
  private readonly relocationCache = new Map<number, ElfRelocation[]>();
  private sectionsByName: Map<string, ElfSection> | undefined;
  private symbolsByName: Map<string, ElfSymbol> | undefined;

  /** @internal Use {@link parseElf}; the arguments must already be validated. */
  constructor(fileName: string, buffer: Buffer, sections: ElfSection[], symbols: ElfSymbol[]) {
    this.fileName = fileName;
    this.buffer = buffer;
    this.sections = sections;
    this.symbols = symbols;
  }

  /** Returns the first section called `name`, or undefined. */
  section(name: string): ElfSection | undefined {
    if (!this.sectionsByName) {
      // Built on first use (the open phase asks for a section by name many times).
      const map = new Map<string, ElfSection>();
      for (const s of this.sections) if (!map.has(s.name)) map.set(s.name, s);
      this.sectionsByName = map;
    }
    return this.sectionsByName.get(name);
  }

  /**
   * Returns the section at `index`.
   *
   * @throws BpfError (EINVAL) if no section has that index.
   */
  sectionAt(index: number): ElfSection {
    const section = Number.isInteger(index) && index >= 0 ? this.sections[index] : undefined;
    if (section === undefined) {
      throw malformed(`${this.fileName}: no section with index ${index} (${this.sections.length} sections)`, { object: this.fileName });
    }
    return section;
  }

  /**
   * Returns the relocations of every SHT_REL/SHT_RELA section whose sh_info is
   * `target.index`, in section order then record order. Decoded on first use and cached.
   *
   * @throws BpfError (EINVAL) if a record names a missing symbol or patches bytes outside `target`.
   */
  relocationsFor(target: ElfSection): ElfRelocation[] {
    const cached = this.relocationCache.get(target.index);
    if (cached !== undefined) return cached;
    const own = this.sectionAt(target.index);
    const result: ElfRelocation[] = [];
    for (const section of this.sections) {
      if (isRelocationSection(section) && section.info === own.index) {
        result.push(...parseRelocations(section, own, this.symbols.length, this.fileName));
      }
    }
    this.relocationCache.set(own.index, result);
    return result;
  }

  /** Returns the symbols defined in section `sectionIndex`, sorted by value (then by symbol index). */
  symbolsIn(sectionIndex: number): ElfSymbol[] {
    return this.symbols
      .filter((s) => s.shndx === sectionIndex)
      .sort((a, b) => a.value - b.value || a.index - b.index);
  }

  /** Returns the first symbol called `name` (an empty name never matches), or undefined. */
  symbolByName(name: string): ElfSymbol | undefined {
    if (name === '') return undefined;
    if (!this.symbolsByName) {
      const map = new Map<string, ElfSymbol>();
      for (const s of this.symbols) if (!map.has(s.name)) map.set(s.name, s);
      this.symbolsByName = map;
    }
    return this.symbolsByName.get(name);
  }
}

/**
 * Parses a clang-compiled BPF object (`clang -target bpf -c`). Headers and every section's
 * bounds are checked first, then the section header table is decoded; .symtab is read
 * here. Relocations are decoded lazily by {@link ElfFile.relocationsFor}, but each
 * relocation section's header is checked now.
 *
 * @param data - the whole object file.
 * @param fileName - name for error messages.
 * @throws BpfError (EINVAL) for anything that is not a well-formed 64-bit little-endian
 *   EM_BPF ET_REL object; `offset` is the file offset of the bad field or record.
 * @example
 * ```ts
 * const elf = parseElf(fs.readFileSync('cc.bpf.o'), 'cc.bpf.o');
 * const ops = elf.section('.struct_ops');
 * if (ops) console.log(elf.relocationsFor(ops));
 * ```
 */
export function parseElf(data: Buffer, fileName = '<buffer>'): ElfFile {
  if (!Buffer.isBuffer(data)) {
    throw malformed(`${fileName}: expected a Buffer`, { object: fileName, offset: 0 });
  }
  const header = readElfHeader(data, fileName);
  const raw = readSectionHeaders(data, header, fileName);
  const sections = buildSections(data, header, raw, fileName);
  const symtab = findSymtab(sections, fileName);
  const symbols = symtab === undefined ? [] : parseSymbols(symtab, sections, fileName);
  for (const section of sections) {
    if (isRelocationSection(section)) checkRelocationSection(section, sections.length, symtab?.index, fileName);
  }
  return new ElfFile(fileName, data, sections, symbols);
}
