// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Room `asm`: eBPF instructions — their size, opcodes, pseudo sources and field access. No I/O. */
export * from './insn';
