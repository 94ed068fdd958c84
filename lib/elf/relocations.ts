// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Parses SHT_REL / SHT_RELA sections (Elf64_Rel / Elf64_Rela records). */

import { malformed } from '../errors';
import {
  R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS32, R_BPF_64_ABS64, R_BPF_64_NODYLD32, R_BPF_NONE, SHT_REL, SHT_RELA,
} from './types';
import type { ElfRelocation, ElfSection } from './types';

const REL_SIZE = 16;
const RELA_SIZE = 24;

/**
 * Bytes each BPF relocation type patches, counted from r_offset: a whole ld_imm64 (two
 * instructions) for R_BPF_64_64, one call instruction for R_BPF_64_32, the data width for
 * the ABS/NODYLD types. Unknown types must at least start inside the target.
 */
function patchWidth(type: number): number {
  switch (type) {
    case R_BPF_NONE: return 0;
    case R_BPF_64_64: return 16;
    case R_BPF_64_32: return 8;
    case R_BPF_64_ABS64: return 8;
    case R_BPF_64_ABS32:
    case R_BPF_64_NODYLD32: return 4;
    default: return 1;
  }
}

/** True for SHT_REL and SHT_RELA sections. */
export function isRelocationSection(section: ElfSection): boolean {
  return section.type === SHT_REL || section.type === SHT_RELA;
}

/**
 * Checks a relocation section's header: record size, total size, that sh_link is the
 * symbol table and that sh_info names an existing section.
 *
 * @throws BpfError (EINVAL) naming the relocation section.
 */
export function checkRelocationSection(
  section: ElfSection,
  sectionCount: number,
  symtabIndex: number | undefined,
  fileName: string,
): void {
  const ctx = { object: fileName, section: section.name, offset: section.offset };
  const recordSize = section.type === SHT_RELA ? RELA_SIZE : REL_SIZE;
  if (section.entsize !== recordSize) {
    throw malformed(`${fileName}: ${section.name}: sh_entsize ${section.entsize}, expected ${recordSize}`, ctx);
  }
  if (section.size % recordSize !== 0) {
    throw malformed(`${fileName}: ${section.name}: size ${section.size} is not a multiple of ${recordSize}`, ctx);
  }
  if (symtabIndex === undefined || section.link !== symtabIndex) {
    throw malformed(`${fileName}: ${section.name}: sh_link ${section.link} is not the symbol table`, ctx);
  }
  if (section.info === 0 || section.info >= sectionCount) {
    throw malformed(`${fileName}: ${section.name}: sh_info ${section.info} names no section (${sectionCount} sections)`, ctx);
  }
}

/**
 * Decodes the records of one relocation section against `target`, checking that each
 * symbol index exists and that the patched bytes lie inside the target section.
 *
 * @throws BpfError (EINVAL) with the file offset of the bad record.
 */
export function parseRelocations(
  section: ElfSection,
  target: ElfSection,
  symbolCount: number,
  fileName: string,
): ElfRelocation[] {
  const isRela = section.type === SHT_RELA;
  const recordSize = isRela ? RELA_SIZE : REL_SIZE;
  const d = section.data;
  const result: ElfRelocation[] = [];
  for (let rel = 0; rel + recordSize <= d.length; rel += recordSize) {
    const record = rel / recordSize;
    const ctx = { object: fileName, section: section.name, offset: section.offset + rel };
    const offsetHigh = d.readUInt32LE(rel + 4);
    const offset = d.readUInt32LE(rel);
    const type = d.readUInt32LE(rel + 8);
    const symbol = d.readUInt32LE(rel + 12);
    if (symbol >= symbolCount) {
      throw malformed(
        `${fileName}: ${section.name}: relocation ${record} refers to symbol ${symbol}, but the symbol table has ${symbolCount} entries`,
        ctx,
      );
    }
    const width = patchWidth(type);
    if (offsetHigh !== 0 || offset + width > target.size) {
      const shown = ((BigInt(offsetHigh) << 32n) | BigInt(offset)).toString(16);
      throw malformed(
        `${fileName}: ${section.name}: relocation ${record} at 0x${shown} (${width} bytes) is outside ${target.name} (${target.size} bytes)`,
        ctx,
      );
    }
    let addend = 0;
    if (isRela) {
      const value = d.readBigInt64LE(rel + 16);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw malformed(`${fileName}: ${section.name}: relocation ${record} addend ${value} is too large`, { ...ctx, offset: ctx.offset + 16 });
      }
      addend = Number(value);
    }
    result.push({ offset, symbol, type, addend });
  }
  return result;
}
