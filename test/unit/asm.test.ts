/** The asm room's instruction size is the UAPI's `struct bpf_insn`, as generated from kernel BTF. */
import { INSN_SIZE, runsForwardOnly } from '../../lib/asm';
import { BPF_INSN } from '../../lib/sys/abi.generated';

test('INSN_SIZE is sizeof(struct bpf_insn) from the generated ABI tables', () => {
  expect(INSN_SIZE).toBe(BPF_INSN.size);
  expect(INSN_SIZE).toBe(8);
});

describe('runsForwardOnly (no loop for the verifier to unroll, no subprogram)', () => {
  /** One instruction: code, dst/src, off, imm. */
  const insn = (code: number, src = 0, off = 0, imm = 0): Buffer => {
    const b = Buffer.alloc(8);
    b[0] = code;
    b[1] = (src & 0x0f) << 4;
    b.writeInt16LE(off, 2);
    b.writeInt32LE(imm, 4);
    return b;
  };
  const MOV_R0_0 = insn(0xb7); // BPF_ALU64 | BPF_MOV | BPF_K
  const EXIT = insn(0x95);
  const prog = (...insns: Buffer[]): Buffer => Buffer.concat(insns);

  test('straight code, forward jumps of either class, helper and kfunc calls run forward only', () => {
    expect(runsForwardOnly(prog(MOV_R0_0, EXIT))).toBe(true);
    expect(runsForwardOnly(prog(insn(0x15, 0, 1), MOV_R0_0, EXIT))).toBe(true); // jeq r0, 0, +1
    expect(runsForwardOnly(prog(insn(0x16, 0, 0), MOV_R0_0, EXIT))).toBe(true); // jeq32 +0
    expect(runsForwardOnly(prog(insn(0x06, 0, 0, 1), MOV_R0_0, EXIT))).toBe(true); // gotol +1
    expect(runsForwardOnly(prog(insn(0x85, 0, 0, 1), insn(0x85, 2, 0, 1234), EXIT))).toBe(true);
    // A map's ld_imm64: its second slot (code 0) is data, whatever its bytes say.
    expect(runsForwardOnly(prog(insn(0x18, 1), insn(0x05, 0, -1), EXIT))).toBe(true);
  });

  test('a backward jump, gotol back, a bpf-to-bpf call or a callback does not', () => {
    expect(runsForwardOnly(prog(MOV_R0_0, insn(0x05, 0, -2), EXIT))).toBe(false); // ja -2
    expect(runsForwardOnly(prog(MOV_R0_0, insn(0x25, 0, -1), EXIT))).toBe(false); // jgt to itself
    expect(runsForwardOnly(prog(MOV_R0_0, insn(0x56, 0, -2), EXIT))).toBe(false); // jne32 back
    expect(runsForwardOnly(prog(MOV_R0_0, insn(0x06, 0, 5, -2), EXIT))).toBe(false); // gotol back (imm)
    expect(runsForwardOnly(prog(insn(0x85, 1, 0, 1), EXIT, MOV_R0_0, EXIT))).toBe(false); // call pc+1
    expect(runsForwardOnly(prog(insn(0x18, 4, 0, 2), insn(0), EXIT, MOV_R0_0, EXIT))).toBe(false); // ld_imm64 of a subprogram
  });
});
