// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * eBPF instruction encoding facts (UAPI linux/bpf.h, linux/bpf_common.h) used by the relocator.
 * An instruction is 8 bytes: code u8, dst_reg:4 | src_reg:4, off s16, imm s32 (little-endian).
 */

export const INSN_SIZE = 8;

export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;
export const BPF_IMM = 0x00;
/** Source operand is a register (BPF_X), not the immediate (BPF_K). */
export const BPF_X = 0x08;
export const BPF_DW = 0x18;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;

/** `ld_imm64` opcode: BPF_LD | BPF_IMM | BPF_DW; occupies two instruction slots. */
export const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
/** `call` opcode: BPF_JMP | BPF_CALL. */
export const CALL = BPF_JMP | BPF_CALL;

/** src_reg values of ld_imm64 that tell the kernel what imm means. */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
/** src_reg values of call. */
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** libbpf's marker for a call to an unresolved weak kfunc; the verifier rejects it only if reachable. */
export const POISON_KFUNC_BASE = 2002000000;

export function opcode(insns: Buffer, index: number): number {
  return insns[index * INSN_SIZE];
}

/** The instruction class (BPF_LD ... BPF_ALU64): the low 3 bits of the opcode. */
export function insnClass(insns: Buffer, index: number): number {
  return opcode(insns, index) & 0x07;
}

export function srcReg(insns: Buffer, index: number): number {
  return insns[index * INSN_SIZE + 1] >> 4;
}

export function setSrcReg(insns: Buffer, index: number, value: number): void {
  const at = index * INSN_SIZE + 1;
  insns[at] = (insns[at] & 0x0f) | ((value & 0x0f) << 4);
}

export function imm(insns: Buffer, index: number): number {
  return insns.readInt32LE(index * INSN_SIZE + 4);
}

export function setImm(insns: Buffer, index: number, value: number): void {
  insns.writeInt32LE(value | 0, index * INSN_SIZE + 4);
}

export function off(insns: Buffer, index: number): number {
  return insns.readInt16LE(index * INSN_SIZE + 2);
}

export function setOff(insns: Buffer, index: number, value: number): void {
  insns.writeInt16LE(value, index * INSN_SIZE + 2);
}

export function isLdImm64(insns: Buffer, index: number): boolean {
  return opcode(insns, index) === LD_IMM64;
}

export function isCall(insns: Buffer, index: number): boolean {
  return opcode(insns, index) === CALL;
}

/** A bpf-to-bpf call (`call pc+imm`, src_reg BPF_PSEUDO_CALL). */
export function isPseudoCall(insns: Buffer, index: number): boolean {
  return isCall(insns, index) && srcReg(insns, index) === BPF_PSEUDO_CALL;
}

/** A callback address load (`ld_imm64 rX, subprog`, src_reg BPF_PSEUDO_FUNC). */
export function isPseudoFunc(insns: Buffer, index: number): boolean {
  return isLdImm64(insns, index) && srcReg(insns, index) === BPF_PSEUDO_FUNC;
}

/** `ja` (BPF_JMP | BPF_JA, offset in off; BPF_JMP32 | BPF_JA is `gotol`, offset in imm). */
export const BPF_JA = 0x00;

/**
 * True when control can only move forward through `insns`: no jump to this or an earlier
 * instruction (any condition; `gotol`'s offset is its imm), no bpf-to-bpf call and no
 * callback (an ld_imm64 of a subprogram, as bpf_loop takes). The verifier then has no loop
 * to unroll: it walks each path once, at most one visit per instruction and path.
 */
export function runsForwardOnly(insns: Buffer): boolean {
  const count = Math.floor(insns.length / INSN_SIZE);
  for (let i = 0; i < count; i++) {
    if (isLdImm64(insns, i)) {
      if (isPseudoFunc(insns, i)) return false;
      i++; // its second slot is data, not an instruction
      continue;
    }
    const cls = insnClass(insns, i);
    if (cls !== BPF_JMP && cls !== BPF_JMP32) continue;
    if (isPseudoCall(insns, i)) return false;
    // The operation: the high 4 bits. Helper and kfunc calls and exit do not jump.
    const op = opcode(insns, i) & 0xf0;
    if (op === BPF_CALL || op === BPF_EXIT) continue;
    // The target is i + 1 + offset: an offset below 0 jumps back to i or before.
    const offset = cls === BPF_JMP32 && op === BPF_JA ? imm(insns, i) : off(insns, i);
    if (offset < 0) return false;
  }
  return true;
}
