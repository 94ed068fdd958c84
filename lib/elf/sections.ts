// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Builds the ElfSection list from the validated raw section headers. */

import { malformed } from '../errors';
import type { RawElfHeader, RawSectionHeader } from './header';
import { cString } from './read';
import { SHT_NOBITS, SHT_NULL } from './types';
import type { ElfSection } from './types';

/**
 * Turns the validated raw section headers into ElfSections, resolving each name in the
 * section header string table.
 *
 * @throws BpfError (EINVAL) if a name is not NUL-terminated inside the section name table.
 */
export function buildSections(
  data: Buffer,
  header: RawElfHeader,
  raw: RawSectionHeader[],
  fileName: string,
): ElfSection[] {
  const headerOffset = (index: number) => header.shoff + index * 64;
  // readSectionHeaders checked that e_shstrndx is an in-bounds SHT_STRTAB.
  const strtab = raw[header.shstrndx];
  const names = data.subarray(strtab.offset, strtab.offset + strtab.size);

  return raw.map((r, index) => {
    const name = cString(names, r.nameOff);
    if (name === undefined) {
      throw malformed(
        `${fileName}: section ${index}: name offset ${r.nameOff} is not a NUL-terminated string inside the section name table (${names.length} bytes)`,
        { object: fileName, offset: headerOffset(index) },
      );
    }
    return {
      index,
      name,
      type: r.type,
      flags: r.flags,
      offset: r.offset,
      size: r.size,
      link: r.link,
      info: r.info,
      addralign: r.addralign,
      entsize: r.entsize,
      // NOBITS (.bss) has no file bytes; its size still says how much memory it needs.
      // SHT_NULL headers were not bounds-checked, so they get no bytes either.
      data: r.type === SHT_NOBITS || r.type === SHT_NULL ? data.subarray(0, 0) : data.subarray(r.offset, r.offset + r.size),
    };
  });
}
