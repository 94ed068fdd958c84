// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** ELF model for 64-bit little-endian EM_BPF relocatable objects (`clang -target bpf`). */

/** SHT_* section types used by BPF objects. */
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

/** SHF_* flags. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

/** Symbol types, bindings and visibilities (st_info / st_other). */
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

/** One section header of the object, with its bytes. */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  /** SHF_* bits. */
  flags: number;
  /** File offset of the section bytes. */
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section bytes (a view into the file buffer; empty for SHT_NOBITS). */
  data: Buffer;
}

/** One .symtab entry (Elf64_Sym), decoded. */
export interface ElfSymbol {
  /** Index in .symtab. */
  index: number;
  name: string;
  value: number;
  size: number;
  /** STT_* */
  type: number;
  /** STB_* */
  bind: number;
  /** STV_* */
  visibility: number;
  /** Section index (or SHN_* special). */
  shndx: number;
}

/** One SHT_REL/SHT_RELA record (Elf64_Rel/Elf64_Rela), decoded. */
export interface ElfRelocation {
  /** r_offset: byte offset in the target section. */
  offset: number;
  /** Index of the symbol in .symtab. */
  symbol: number;
  /** R_BPF_* */
  type: number;
  /** r_addend for RELA; 0 for REL. */
  addend: number;
}
