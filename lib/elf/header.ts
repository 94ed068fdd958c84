// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The ELF header and the section header table, read and bounds-checked field by field at
 * the ELF64 offsets, so every later step works on values known to lie inside the file.
 * Ours rather than the elfy package's: elfy 1.0.0 misreads sh_entsize and sh_addralign (the
 * .BTF and mergeable-string sections of every clang object: test/unit/elf/parse.test.ts), and
 * loading it cost ~4 ms of a cold open (docs/startup.md).
 */

import { malformed } from '../errors';
import { cString, readSafeU64, readU64OrNeg } from './read';
import { SHT_NOBITS, SHT_NULL, SHT_STRTAB } from './types';

/** EM_BPF from the ELF machine registry. */
export const EM_BPF = 247;
/** ET_REL: clang -c output; the only kind of BPF object libbpf loads. */
export const ET_REL = 1;

const ELF_HEADER_SIZE = 64;
const SECTION_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const SHN_XINDEX = 0xffff;
/** Largest SHT_NOBITS size we accept: a .bss becomes an ARRAY map value, whose size is a u32. */
const MAX_NOBITS_SIZE = 0xffffffff;

/** Names for machines people mistake for BPF objects, so the error says what was passed. */
const MACHINE_NAMES: ReadonlyMap<number, string> = new Map([
  [3, 'EM_386'], [8, 'EM_MIPS'], [20, 'EM_PPC'], [21, 'EM_PPC64'], [22, 'EM_S390'], [40, 'EM_ARM'],
  [62, 'EM_X86_64'], [183, 'EM_AARCH64'], [243, 'EM_RISCV'], [258, 'EM_LOONGARCH'],
]);

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'ET_NONE'], [2, 'ET_EXEC'], [3, 'ET_DYN'], [4, 'ET_CORE'],
]);

/** The ELF header fields we use, already checked against the file length. */
export interface RawElfHeader {
  type: number;
  machine: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
}

/** One section header as stored in the file, checked against the file length. */
export interface RawSectionHeader {
  /** sh_name: offset in the section header string table. */
  nameOff: number;
  type: number;
  /** sh_flags: SHF_* bits (all defined ones are in the low 32 bits). */
  flags: number;
  offset: number;
  size: number;
  addralign: number;
  entsize: number;
  /** sh_link: a section index whose meaning depends on the type. */
  link: number;
  /** sh_info: for SHT_REL, the section the relocations apply to. */
  info: number;
}

/**
 * Checks the ELF identification and header: 64-bit, little-endian, EM_BPF, ET_REL, and a
 * section (and program) header table that lies inside the file.
 *
 * @throws BpfError (EINVAL) naming the bad field and its file offset.
 */
export function readElfHeader(data: Buffer, fileName: string): RawElfHeader {
  const at = (offset: number) => ({ object: fileName, offset });
  if (data.length < 4 || data.readUInt32BE(0) !== 0x7f454c46) {
    throw malformed(`${fileName}: not an ELF file (bad magic)`, at(0));
  }
  if (data.length < 16) throw malformed(`${fileName}: truncated ELF identification`, at(data.length));
  const elfClass = data[4];
  if (elfClass === 1) throw malformed(`${fileName}: 32-bit ELF; BPF objects are ELFCLASS64`, at(4));
  if (elfClass !== 2) throw malformed(`${fileName}: invalid ELF class ${elfClass}`, at(4));
  const encoding = data[5];
  if (encoding === 2) {
    throw malformed(`${fileName}: big-endian ELF is not supported; build with -target bpfel`, at(5));
  }
  if (encoding !== 1) throw malformed(`${fileName}: invalid ELF data encoding ${encoding}`, at(5));
  if (data.length < ELF_HEADER_SIZE) throw malformed(`${fileName}: truncated ELF header`, at(data.length));

  const machine = data.readUInt16LE(18);
  if (machine !== EM_BPF) {
    const name = MACHINE_NAMES.get(machine) ?? 'unknown';
    throw malformed(`${fileName}: ELF machine ${machine} (${name}) is not EM_BPF (247); compile with clang -target bpf`, at(18));
  }
  const type = data.readUInt16LE(16);
  if (type !== ET_REL) {
    const name = TYPE_NAMES.get(type) ?? 'unknown';
    throw malformed(`${fileName}: ELF type ${type} (${name}) is not ET_REL; pass the clang -c output`, at(16));
  }

  checkProgramHeaders(data, fileName);

  const shoff = readSafeU64(data, 40, `${fileName}: e_shoff`, at(40));
  const shentsize = data.readUInt16LE(58);
  const shnum = data.readUInt16LE(60);
  const shstrndx = data.readUInt16LE(62);
  if (shoff === 0) throw malformed(`${fileName}: no section header table`, at(40));
  if (shnum === 0) {
    // e_shnum 0 with a table means the count lives in section 0's sh_size; clang never needs it.
    throw malformed(`${fileName}: extended section numbering (e_shnum 0) is not supported`, at(60));
  }
  if (shentsize !== SECTION_HEADER_SIZE) {
    throw malformed(`${fileName}: e_shentsize ${shentsize}, expected ${SECTION_HEADER_SIZE}`, at(58));
  }
  if (shoff > data.length || shnum * SECTION_HEADER_SIZE > data.length - shoff) {
    throw malformed(`${fileName}: section header table (e_shoff 0x${shoff.toString(16)}, ${shnum} entries) ends past the end of the file (${data.length} bytes)`, at(40));
  }
  if (shstrndx === SHN_XINDEX) {
    throw malformed(`${fileName}: extended e_shstrndx (SHN_XINDEX) is not supported`, at(62));
  }
  if (shstrndx === 0 || shstrndx >= shnum) {
    throw malformed(`${fileName}: e_shstrndx ${shstrndx} is out of range (${shnum} sections)`, at(62));
  }
  return { type, machine, shoff, shnum, shstrndx };
}

/** A relocatable object needs no program headers; when e_phnum claims some, their table must lie in the file. */
function checkProgramHeaders(data: Buffer, fileName: string): void {
  const phnum = data.readUInt16LE(56);
  if (phnum === 0) return;
  const phoff = readSafeU64(data, 32, `${fileName}: e_phoff`, { object: fileName, offset: 32 });
  const phentsize = data.readUInt16LE(54);
  if (phentsize !== PROGRAM_HEADER_SIZE) {
    throw malformed(`${fileName}: e_phentsize ${phentsize}, expected ${PROGRAM_HEADER_SIZE}`, { object: fileName, offset: 54 });
  }
  if (phoff > data.length || phnum * PROGRAM_HEADER_SIZE > data.length - phoff) {
    throw malformed(`${fileName}: program header table ends past the end of the file`, { object: fileName, offset: 32 });
  }
}

/**
 * Reads every section header and checks that each section's bytes lie inside the file
 * (SHT_NOBITS sections occupy no file bytes, so only their size is capped).
 *
 * @throws BpfError (EINVAL) with the file offset of the bad section header.
 */
export function readSectionHeaders(data: Buffer, header: RawElfHeader, fileName: string): RawSectionHeader[] {
  const headerAt = (index: number) => header.shoff + index * SECTION_HEADER_SIZE;
  const result: RawSectionHeader[] = [];
  for (let index = 0; index < header.shnum; index++) {
    const base = headerAt(index);
    const offset = readU64OrNeg(data, base + 24);
    const size = readU64OrNeg(data, base + 32);
    const addralign = readU64OrNeg(data, base + 48);
    const entsize = readU64OrNeg(data, base + 56);
    if (offset < 0 || size < 0 || addralign < 0 || entsize < 0) {
      // Let readSafeU64 name the first field that is too large.
      for (const [rel, what] of [[24, 'sh_offset'], [32, 'sh_size'], [48, 'sh_addralign'], [56, 'sh_entsize']] as const) {
        readSafeU64(data, base + rel, `${fileName}: section ${index} ${what}`, { object: fileName, offset: base + rel });
      }
    }
    result.push({
      nameOff: data.readUInt32LE(base),
      type: data.readUInt32LE(base + 4),
      flags: data.readUInt32LE(base + 8),
      offset,
      size,
      addralign,
      entsize,
      link: data.readUInt32LE(base + 40),
      info: data.readUInt32LE(base + 44),
    });
  }

  // Section names are resolved in it, so it must be a string table.
  const names = result[header.shstrndx];
  if (names.type !== SHT_STRTAB) {
    throw malformed(`${fileName}: e_shstrndx ${header.shstrndx} is not a string table (type ${names.type})`, {
      object: fileName,
      offset: headerAt(header.shstrndx) + 4,
    });
  }

  const label = sectionLabeler(data, result, header.shstrndx);
  result.forEach((raw, index) => {
    const base = headerAt(index);
    const fail = (message: string, rel: number) => {
      const { text, name } = label(index);
      return malformed(`${fileName}: ${text}: ${message}`, { object: fileName, section: name, offset: base + rel });
    };
    if (index === 0 && raw.type !== SHT_NULL) throw fail(`type ${raw.type}, expected SHT_NULL`, 4);
    if (raw.type === SHT_NOBITS) {
      if (raw.size > MAX_NOBITS_SIZE) throw fail(`SHT_NOBITS size ${raw.size} is too large`, 32);
    } else if (raw.type !== SHT_NULL && (raw.offset > data.length || raw.size > data.length - raw.offset)) {
      throw fail(`offset 0x${raw.offset.toString(16)} + size ${raw.size} ends past the end of the file (${data.length} bytes)`, 24);
    }
  });
  return result;
}

/**
 * Names sections for error messages before the name table is trusted: uses the name only
 * when the section name table itself lies inside the file and the string is terminated.
 */
function sectionLabeler(data: Buffer, raw: RawSectionHeader[], shstrndx: number): (index: number) => { text: string; name?: string } {
  const table = raw[shstrndx];
  const usable = table.type !== SHT_NOBITS && table.offset <= data.length && table.size <= data.length - table.offset;
  const names = usable ? data.subarray(table.offset, table.offset + table.size) : undefined;
  return (index) => {
    const name = names === undefined ? undefined : cString(names, raw[index].nameOff);
    return name === undefined ? { text: `section ${index}` } : { text: `section ${index} (${name})`, name };
  };
}
