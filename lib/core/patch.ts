// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Writes a relocation's value into its instruction, the way libbpf's bpf_core_patch_insn
 * does: ALU/ALU64 with an immediate operand get the immediate, LDX/ST/STX get the offset
 * (and the access size when the field's size changed safely), LD_IMM64 gets the 64-bit
 * immediate. The instruction must hold the value clang assumed, so a relocation pointing at
 * the wrong instruction is caught instead of silently corrupting code.
 *
 * Instruction layout (little-endian): code u8, dst/src regs u8, off s16, imm s32.
 */
import { BPF_ALU, BPF_ALU64, BPF_CALL, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_X, INSN_SIZE, insnClass, LD_IMM64 } from '../asm';
import { CORE_POISON_IMM } from './relocation';
import { RelocFailure } from './failure';
import type { Resolution } from './resolve';

export { INSN_SIZE };

const SIZE_MASK = 0x18;
/** BPF_W, BPF_H, BPF_B, BPF_DW by byte count. */
const SIZE_BITS: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
/** Largest offset an LDX/ST/STX can carry (s16). */
const MAX_OFF = 0x7fff;

/**
 * Patches instruction `index` according to `res`.
 *
 * @returns undefined when patched, or a poison reason when the instruction was poisoned
 *   instead (the field changed size in a way this load/store cannot follow)
 * @throws RelocFailure when the instruction cannot carry a relocation, does not hold the
 *   expected value, or the new value does not fit
 */
export function patchInstruction(insns: Buffer, index: number, res: Resolution): string | undefined {
  const at = index * INSN_SIZE;
  const code = insns[at];
  switch (insnClass(insns, index)) {
    case BPF_ALU:
    case BPF_ALU64: {
      if ((code & BPF_X) !== 0) throw new RelocFailure(`insn ${index} (ALU) uses a register operand, not an immediate`);
      const imm = insns.readInt32LE(at + 4);
      if (res.validate && !sameValue(imm, res.orig)) throw unexpected(index, 'ALU/ALU64', BigInt(imm), res);
      insns.writeInt32LE(toImm32(res.next, index), at + 4);
      return undefined;
    }
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX:
      return patchMemory(insns, index, res);
    case BPF_LD:
      patchLdImm64(insns, index, res);
      return undefined;
    default:
      throw new RelocFailure(`insn ${index} (code 0x${code.toString(16)}) cannot carry a CO-RE relocation`);
  }
}

function patchMemory(insns: Buffer, index: number, res: Resolution): string | undefined {
  const at = index * INSN_SIZE;
  const off = insns.readInt16LE(at + 2);
  if (res.validate && BigInt.asUintN(64, BigInt(off)) !== res.orig) throw unexpected(index, 'LDX/ST/STX', BigInt(off), res);
  if (res.next > BigInt(MAX_OFF)) {
    throw new RelocFailure(`insn ${index} (LDX/ST/STX): offset ${res.next} does not fit in 16 bits`, 'ERANGE');
  }
  if (res.badSizeChange) {
    poisonInstruction(insns, index);
    return `field size changed from ${res.origSize} to ${res.newSize} bytes and is not an unsigned integer or pointer`;
  }
  insns.writeInt16LE(Number(res.next), at + 2);
  if (res.newSize !== res.origSize) {
    const code = insns[at];
    const current = SIZE_BYTES[code & SIZE_MASK];
    if (current !== res.origSize) {
      throw new RelocFailure(`insn ${index} (LDX/ST/STX) accesses ${current} bytes, expected ${res.origSize}`);
    }
    const bits = SIZE_BITS[res.newSize];
    if (bits === undefined) throw new RelocFailure(`insn ${index} (LDX/ST/STX): cannot access ${res.newSize} bytes`);
    insns[at] = (code & ~SIZE_MASK) | bits;
  }
  return undefined;
}

function patchLdImm64(insns: Buffer, index: number, res: Resolution): void {
  const at = index * INSN_SIZE;
  const hi = at + INSN_SIZE;
  const wellFormed =
    insns[at] === LD_IMM64 &&
    hi + INSN_SIZE <= insns.length &&
    insns[at + 1] >> 4 === 0 && // src_reg 0: a plain constant, not a map or BTF id pseudo load
    insns.readInt16LE(at + 2) === 0 &&
    insns[hi] === 0 &&
    insns[hi + 1] === 0 &&
    insns.readInt16LE(hi + 2) === 0;
  if (!wellFormed) throw new RelocFailure(`insn ${index} (LD_IMM64) has an unexpected form`);
  const current = BigInt(insns.readUInt32LE(at + 4)) | (BigInt(insns.readUInt32LE(hi + 4)) << 32n);
  if (res.validate && current !== res.orig) throw unexpected(index, 'LD_IMM64', current, res);
  insns.writeUInt32LE(Number(res.next & 0xffffffffn), at + 4);
  insns.writeUInt32LE(Number(res.next >> 32n), hi + 4);
}

/**
 * Turns instruction `index` into `call 0xbad2310` (both halves of an LD_IMM64, so the
 * verifier does not report a confusing "unknown opcode 00" for the second one).
 *
 * @throws RelocFailure when an LD_IMM64 is missing its second half
 */
export function poisonInstruction(insns: Buffer, index: number): void {
  const at = index * INSN_SIZE;
  if (insns[at] === LD_IMM64) {
    if (at + 2 * INSN_SIZE > insns.length) throw new RelocFailure(`insn ${index} (LD_IMM64) is missing its second half`);
    writePoison(insns, at + INSN_SIZE);
  }
  writePoison(insns, at);
}

function writePoison(insns: Buffer, at: number): void {
  insns[at] = BPF_JMP | BPF_CALL;
  insns[at + 1] = 0;
  insns.writeInt16LE(0, at + 2);
  insns.writeInt32LE(CORE_POISON_IMM, at + 4);
}

/** An s32 immediate holds `value` when it reads back as it, sign- or zero-extended. */
function sameValue(imm: number, value: bigint): boolean {
  return BigInt.asUintN(64, BigInt(imm)) === value || BigInt(imm >>> 0) === value;
}

function toImm32(value: bigint, index: number): number {
  const signed = BigInt.asIntN(64, value);
  // libbpf truncates silently; a value that does not fit would change meaning, so refuse.
  if (signed < -0x80000000n || signed > 0xffffffffn) {
    throw new RelocFailure(`insn ${index} (ALU/ALU64): value ${value} does not fit in a 32-bit immediate`, 'ERANGE');
  }
  return Number(BigInt.asIntN(32, signed));
}

function unexpected(index: number, what: string, got: bigint, res: Resolution): RelocFailure {
  return new RelocFailure(
    `unexpected insn ${index} (${what}) value: got ${BigInt.asIntN(64, got)}, expected ${BigInt.asIntN(64, res.orig)} -> ${BigInt.asIntN(64, res.next)}`,
  );
}
