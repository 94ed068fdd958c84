// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Builds the ElfSection list from the validated raw headers and elfy's decoding. */

import { malformed } from '../errors';
import type { DecodedSection } from './elfy-adapter';
import type { RawElfHeader, RawSectionHeader } from './header';
import { cString } from './read';
import { SHT_NOBITS, SHT_NULL } from './types';
import type { ElfSection } from './types';

/**
 * Combines the raw section headers (bounds, addralign, entsize, name offsets) with elfy's
 * decoded fields and resolves each name in the section header string table.
 *
 * @throws BpfError (EINVAL) if a name is not NUL-terminated inside the section name table,
 *   or elfy disagrees with the validated headers.
 */
export function buildSections(
  data: Buffer,
  header: RawElfHeader,
  raw: RawSectionHeader[],
  decoded: DecodedSection[],
  fileName: string,
): ElfSection[] {
  const headerOffset = (index: number) => header.shoff + index * 64;
  if (decoded.length !== raw.length) {
    throw malformed(`${fileName}: elfy decoded ${decoded.length} sections, expected ${raw.length}`, { object: fileName, offset: 60 });
  }
  // readSectionHeaders checked that e_shstrndx is an in-bounds SHT_STRTAB.
  const strtab = raw[header.shstrndx];
  const names = data.subarray(strtab.offset, strtab.offset + strtab.size);

  return raw.map((r, index) => {
    const d = decoded[index];
    // elfy read the same bytes we validated; a mismatch would mean we checked the wrong values.
    if (d.type !== r.type || d.offset !== r.offset || d.size !== r.size) {
      throw malformed(`${fileName}: section ${index}: elfy and raw section headers disagree`, {
        object: fileName,
        offset: headerOffset(index),
      });
    }
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
      type: d.type,
      flags: d.flags,
      offset: d.offset,
      size: d.size,
      link: d.link,
      info: d.info,
      addralign: r.addralign,
      entsize: r.entsize,
      // NOBITS (.bss) has no file bytes; its size still says how much memory it needs.
      // SHT_NULL headers were not bounds-checked, so they get no bytes either.
      data: d.type === SHT_NOBITS || d.type === SHT_NULL ? data.subarray(0, 0) : data.subarray(d.offset, d.offset + d.size),
    };
  });
}
