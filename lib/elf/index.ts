// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * ELF reader for clang-compiled BPF objects: 64-bit little-endian EM_BPF ET_REL files.
 * Pure parsing, no kernel access; the only entry point of lib/elf.
 */

export * from './types';
export { ElfFile, parseElf } from './elf-file';
export { EM_BPF, ET_REL } from './header';
