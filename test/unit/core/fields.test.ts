/**
 * Field relocations (kinds 0-5) of core_local.bpf.o against the differently laid out types
 * of core_target.o: the patched instruction bytes are checked one by one.
 */
import { CORE_POISON_IMM, applyCoreRelocations, type CoreResult } from '../../../lib/core';
import { insnAt, loadFixture, type Insn } from './fixture';

const local = loadFixture('core_local.bpf.o');
const target = loadFixture('core_target.o');

/** Applies the relocations of section core/<name> and returns the patched bytes. */
function run(name: string): { insns: Buffer; result: CoreResult } {
  const section = `core/${name}`;
  const insns = local.section(section);
  const relos = local.relos.get(section) ?? [];
  const result = applyCoreRelocations(insns, relos, local.btf, [target.btf], { program: name, section });
  return { insns, result };
}

const LDX_W = 0x61;
const LDX_DW = 0x79;
const POISON: Insn = { code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM };

describe('field byte offsets on loads', () => {
  it('moves a u32 load to the new offset and widens it to the new unsigned size', () => {
    // local: unsigned int b @4; target: unsigned long b @40
    const { insns, result } = run('read_b');
    expect(insnAt(insns, 0)).toEqual({ code: LDX_DW, dst: 0, src: 1, off: 40, imm: 0 });
    expect(result).toEqual({ applied: 1, poisoned: [] });
  });

  it('keeps the load size when the field size did not change', () => {
    expect(insnAt(run('read_c').insns, 0)).toEqual({ code: LDX_DW, dst: 0, src: 1, off: 0, imm: 0 });
    expect(insnAt(run('read_ptr').insns, 0)).toEqual({ code: LDX_DW, dst: 0, src: 1, off: 64, imm: 0 });
  });

  it('relocates array elements, nested members and flexible arrays', () => {
    expect(insnAt(run('read_arr').insns, 0).off).toBe(72 + 2 * 4);
    expect(insnAt(run('read_inner').insns, 0).off).toBe(104 + 8); // target inner @104, y @8 in it
    expect(insnAt(run('read_flex').insns, 0).off).toBe(12 + 3 * 4);
  });

  it('finds members through anonymous structs and unions', () => {
    // local: anon union { u2 } @48; target: anon union { anon struct { int before; long u2 } } @48
    expect(insnAt(run('read_union').insns, 0)).toEqual({ code: LDX_DW, dst: 0, src: 1, off: 56, imm: 0 });
  });

  it('matches a ___flavor local type to the plain kernel type', () => {
    expect(insnAt(run('read_flavor').insns, 0)).toEqual({ code: LDX_DW, dst: 0, src: 1, off: 40, imm: 0 });
  });

  it('accepts several candidates when they agree', () => {
    const { insns, result } = run('read_agree'); // agree and agree___1 both have f @4
    expect(insnAt(insns, 0)).toEqual({ code: LDX_W, dst: 0, src: 1, off: 4, imm: 0 });
    expect(result.poisoned).toEqual([]);
  });
});

describe('poisoning', () => {
  it('poisons a load of a field missing in the kernel', () => {
    const { insns, result } = run('read_missing');
    expect(insnAt(insns, 0)).toEqual(POISON);
    expect(insns.subarray(0, 8)).toEqual(Buffer.from([0x85, 0, 0, 0, 0x10, 0x23, 0xad, 0x0b]));
    expect(insnAt(insns, 1).code).toBe(0x95); // exit untouched
    expect(result.applied).toBe(0);
    expect(result.poisoned).toHaveLength(1);
    expect(result.poisoned[0].insnIndex).toBe(0);
    expect(result.poisoned[0].relocation.accessStr).toBe('0:10');
    expect(result.poisoned[0].reason).toMatch(/only_local.*not found/);
  });

  it('poisons a load whose signed field changed size', () => {
    const { insns, result } = run('read_a'); // int a -> long a
    expect(insnAt(insns, 0)).toEqual(POISON);
    expect(result.poisoned[0].reason).toMatch(/size changed from 4 to 8/);
  });

  it('poisons when candidates disagree', () => {
    const { insns, result } = run('read_amb'); // amb.f @0, amb___1.f @4
    expect(insnAt(insns, 0)).toEqual(POISON);
    expect(result.poisoned[0].reason).toMatch(/^ambiguous/);
  });

  it('poisons every field relocation when no kernel BTF has the type', () => {
    const section = 'core/read_b';
    const insns = local.section(section);
    const result = applyCoreRelocations(insns, local.relos.get(section)!, local.btf, [], { program: 'read_b', section });
    expect(insnAt(insns, 0)).toEqual(POISON);
    expect(result.poisoned[0].reason).toMatch(/no type named 'core_sk'/);
  });
});

describe('bitfields (BPF_CORE_READ_BITFIELD)', () => {
  // local: unsigned char flags:3 @64, state:5 @67 (one 1-byte load at byte 8).
  // target (per its BTF): unsigned int flags:3 @239 (a 4-byte load at byte 28 holds bits
  // 224..255) and int state:5 @256 (a 4-byte load at byte 32).
  it('plans the load, size and shifts for the moved bitfield', () => {
    const { insns, result } = run('bitfield');
    expect(result).toEqual({ applied: 6, poisoned: [] });
    expect(insnAt(insns, 0)).toEqual({ code: 0xb7, dst: 2, src: 0, off: 0, imm: 32 }); // byte_off
    expect(insnAt(insns, 2)).toEqual({ code: 0xb7, dst: 2, src: 0, off: 0, imm: 4 }); // byte_sz (clang said 8)
    expect(insnAt(insns, 17)).toEqual({ code: 0x67, dst: 0, src: 0, off: 0, imm: 64 - 5 }); // lshift, was 56
    expect(insnAt(insns, 18).imm).toBe(1); // signed: int in the target
    expect(insnAt(insns, 20).imm).toBe(64 - 5); // rshift (arithmetic path)
    expect(insnAt(insns, 22).imm).toBe(64 - 5); // rshift (logical path)
  });

  it('relocates the probed variant', () => {
    const { insns } = run('bitfield_probed');
    expect(insnAt(insns, 3).imm).toBe(28);
    expect(insnAt(insns, 7).imm).toBe(4);
    expect(insnAt(insns, 10).imm).toBe(64 - (239 + 3 - 224)); // was 61
    expect(insnAt(insns, 11).imm).toBe(0);
    expect(insnAt(insns, 13).imm).toBe(61);
    expect(insnAt(insns, 15).imm).toBe(61);
  });
});

describe('field info builtins', () => {
  it('computes exists, size, offset and signedness', () => {
    const { insns, result } = run('field_info');
    expect(result).toEqual({ applied: 6, poisoned: [] });
    expect(insnAt(insns, 0).imm).toBe(0); // exists(only_local): missing, not poisoned
    expect(insnAt(insns, 1).imm).toBe(1); // exists(b)
    expect(insnAt(insns, 4).imm).toBe(8); // sizeof(c)
    expect(insnAt(insns, 7).imm).toBe(24); // sizeof(arr): int[6]
    expect(insnAt(insns, 10).imm).toBe(104); // offsetof(inner)
    expect(insnAt(insns, 13).imm).toBe(1); // signed(s16)
    expect(insnAt(insns, 0).code).toBe(0xb7);
  });
});
