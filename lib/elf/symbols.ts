// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Parses the .symtab section (Elf64_Sym records) and its string table. */

import { malformed } from '../errors';
import { cString, readSafeU64, readU64OrNeg } from './read';
import { SHN_LORESERVE, SHN_UNDEF, SHT_STRTAB, SHT_SYMTAB, STT_SECTION } from './types';
import type { ElfSection, ElfSymbol } from './types';

/** sizeof(Elf64_Sym). */
export const SYMBOL_SIZE = 24;
const SHN_XINDEX = 0xffff;

/**
 * Finds the single SHT_SYMTAB section.
 *
 * @returns the section, or undefined when the object has none.
 * @throws BpfError (EINVAL) if there is more than one (the ELF spec allows one per file).
 */
export function findSymtab(sections: ElfSection[], fileName: string): ElfSection | undefined {
  const tables = sections.filter((s) => s.type === SHT_SYMTAB);
  if (tables.length > 1) {
    throw malformed(`${fileName}: ${tables.length} SHT_SYMTAB sections, expected one`, {
      object: fileName,
      section: tables[1].name,
      offset: tables[1].offset,
    });
  }
  return tables[0];
}

/**
 * Decodes every symbol of `symtab`. Names come from the string table named by sh_link;
 * STT_SECTION symbols without a name take their section's name, as llvm-readelf shows them.
 *
 * @throws BpfError (EINVAL) naming the symbol's file offset if the table is misshapen, a name
 *   is not NUL-terminated inside the string table, or st_shndx names no section.
 */
export function parseSymbols(symtab: ElfSection, sections: ElfSection[], fileName: string): ElfSymbol[] {
  const ctx = (offset: number) => ({ object: fileName, section: symtab.name, offset });
  if (symtab.entsize !== SYMBOL_SIZE) {
    throw malformed(`${fileName}: ${symtab.name}: sh_entsize ${symtab.entsize}, expected ${SYMBOL_SIZE}`, ctx(symtab.offset));
  }
  if (symtab.size % SYMBOL_SIZE !== 0) {
    throw malformed(`${fileName}: ${symtab.name}: size ${symtab.size} is not a multiple of ${SYMBOL_SIZE}`, ctx(symtab.offset));
  }
  const strtab = sections[symtab.link];
  if (symtab.link === 0 || strtab === undefined || strtab.type !== SHT_STRTAB) {
    throw malformed(`${fileName}: ${symtab.name}: sh_link ${symtab.link} is not a string table`, ctx(symtab.offset));
  }

  const symbols: ElfSymbol[] = [];
  const count = symtab.size / SYMBOL_SIZE;
  const d = symtab.data;
  const names = strtab.data;
  for (let index = 0; index < count; index++) {
    const rel = index * SYMBOL_SIZE;
    const nameOff = d.readUInt32LE(rel);
    const info = d[rel + 4];
    const other = d[rel + 5];
    const shndx = d.readUInt16LE(rel + 6);
    const type = info & 0xf;
    if (shndx === SHN_XINDEX) {
      throw malformed(`${fileName}: symbol ${index}: SHN_XINDEX section indices are not supported`, ctx(symtab.offset + rel + 6));
    }
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.length) {
      throw malformed(`${fileName}: symbol ${index}: st_shndx ${shndx} is out of range (${sections.length} sections)`, ctx(symtab.offset + rel + 6));
    }
    let name = cString(names, nameOff);
    if (name === undefined) {
      throw malformed(
        `${fileName}: symbol ${index}: name offset ${nameOff} is not a NUL-terminated string inside ${strtab.name} (${strtab.data.length} bytes)`,
        ctx(symtab.offset + rel),
      );
    }
    if (name === '' && type === STT_SECTION && shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) {
      name = sections[shndx].name;
    }
    let value = readU64OrNeg(d, rel + 8);
    let size = readU64OrNeg(d, rel + 16);
    if (value < 0 || size < 0) {
      const fileOffset = symtab.offset + rel;
      value = readSafeU64(d, rel + 8, `${fileName}: symbol ${index} st_value`, ctx(fileOffset + 8));
      size = readSafeU64(d, rel + 16, `${fileName}: symbol ${index} st_size`, ctx(fileOffset + 16));
    }
    symbols.push({
      index,
      name,
      value,
      size,
      type,
      bind: info >> 4,
      // Only the low two bits of st_other are the visibility; the rest is reserved.
      visibility: other & 0x3,
      shndx,
    });
  }
  return symbols;
}
