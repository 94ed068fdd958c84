/**
 * Type-based (6-9, 12) and enumerator (10-11) relocations of core_local.bpf.o against
 * core_target.o, checked on the patched instruction bytes.
 */
import { CORE_POISON_IMM, applyCoreRelocations, type CoreResult } from '../../../lib/core';
import { insnAt, ldImm64At, loadFixture } from './fixture';

const local = loadFixture('core_local.bpf.o');
const target = loadFixture('core_target.o');

function run(name: string): { insns: Buffer; result: CoreResult } {
  const section = `core/${name}`;
  const insns = local.section(section);
  const result = applyCoreRelocations(insns, local.relos.get(section) ?? [], local.btf, [target.btf], { program: name, section });
  return { insns, result };
}

describe('type relocations', () => {
  const { insns, result } = run('type_relos');

  it('applies all of them without poisoning', () => {
    expect(result).toEqual({ applied: 7, poisoned: [] });
  });

  it('reports existence (0 for a type the kernel lacks, never a poison)', () => {
    expect(insnAt(insns, 0)).toEqual({ code: 0xb7, dst: 1, src: 0, off: 0, imm: 0 }); // struct core_missing
    expect(insnAt(insns, 1).imm).toBe(1); // struct core_sk
    expect(insnAt(insns, 19).imm).toBe(1); // typedef core_sk_t
  });

  it('reports the kernel size', () => {
    expect(insnAt(insns, 6).imm).toBe(120);
  });

  it('keeps the local type id and writes the kernel type id into LD_IMM64', () => {
    const localId = local.btf.findByName('core_sk', 'struct')!.id;
    const targetId = target.btf.findByName('core_sk', 'struct')!.id;
    expect(localId).not.toBe(targetId);
    expect(ldImm64At(insns, 11)).toBe(BigInt(localId));
    expect(ldImm64At(insns, 15)).toBe(BigInt(targetId));
    expect(insnAt(insns, 15).code).toBe(0x18);
    expect(insnAt(insns, 16).code).toBe(0);
  });

  it('reports a matching type for type_matches', () => {
    // local core_inner {int x; int y}; target {long pad; int y; int x}: members match by name
    expect(insnAt(insns, 22).imm).toBe(1);
  });

  it('gives 0 for everything but the local id when no kernel BTF is given', () => {
    const section = 'core/type_relos';
    const bytes = local.section(section);
    const r = applyCoreRelocations(bytes, local.relos.get(section)!, local.btf, [], { program: 'type_relos', section });
    expect(r.poisoned).toEqual([]);
    expect([0, 1, 6, 19, 22].map((i) => insnAt(bytes, i).imm)).toEqual([0, 0, 0, 0, 0]);
    expect(ldImm64At(bytes, 11)).toBe(BigInt(local.btf.findByName('core_sk', 'struct')!.id));
    expect(ldImm64At(bytes, 15)).toBe(0n);
  });
});

describe('enumerator relocations', () => {
  it('checks existence by name and takes the kernel value', () => {
    const { insns, result } = run('enum_relos');
    expect(result).toEqual({ applied: 4, poisoned: [] });
    expect(ldImm64At(insns, 0)).toBe(1n); // BLUE exists
    expect(ldImm64At(insns, 2)).toBe(0n); // LOCAL_ONLY_COLOR does not
    expect(ldImm64At(insns, 6)).toBe(20n); // GREEN: 2 locally, 20 in the kernel
    expect(ldImm64At(insns, 10)).toBe(0x500000000n); // 64-bit enumerator
    expect(insnAt(insns, 10)).toEqual({ code: 0x18, dst: 1, src: 0, off: 0, imm: 0 });
    expect(insnAt(insns, 11)).toEqual({ code: 0, dst: 0, src: 0, off: 0, imm: 5 });
  });

  it('poisons both halves of an LD_IMM64 for a missing enumerator value', () => {
    const { insns, result } = run('enum_missing');
    const poison = { code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM };
    expect(insnAt(insns, 0)).toEqual(poison);
    expect(insnAt(insns, 1)).toEqual(poison);
    expect(insnAt(insns, 2).code).toBe(0x95);
    expect(result.poisoned).toEqual([
      expect.objectContaining({ insnIndex: 0, reason: expect.stringMatching(/LOCAL_ONLY_COLOR not found/) }),
    ]);
  });
});
