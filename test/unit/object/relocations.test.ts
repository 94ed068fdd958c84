/**
 * The open phase refuses relocations it cannot apply within their function: an ld_imm64
 * (16 bytes) relocated in a function's last 8-byte slot would have its second half outside.
 */
import { readFileSync } from 'node:fs';
import { BpfError } from '../../../lib/errors';
import { loadObjectSpec } from '../../../lib/object';
import { fixture } from '../../helpers/fixtures';

/** File offset, size and name of every section (ELF64 little-endian section headers). */
function sections(elf: Buffer): { name: string; offset: number; size: number }[] {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const strtab = Number(elf.readBigUInt64LE(shoff + elf.readUInt16LE(0x3e) * shentsize + 24));
  return Array.from({ length: shnum }, (_, i) => {
    const h = shoff + i * shentsize;
    const nameOff = elf.readUInt32LE(h);
    const name = elf.toString('latin1', strtab + nameOff, elf.indexOf(0, strtab + nameOff));
    return { name, offset: Number(elf.readBigUInt64LE(h + 24)), size: Number(elf.readBigUInt64LE(h + 32)) };
  });
}

describe('ld_imm64 relocations must fit their function', () => {
  // cubic's .text holds three functions; cubic_target comes first (insns 0..77), and the first
  // .rel.text record is its ld_imm64 of the .rodata variable cube_scale (R_BPF_64_64 at 0xb8).
  // The ELF layer already refuses 16 bytes past the section's end; inside a section, only
  // the function bounds tell that the second half would be cube_root's first instruction.
  const original = readFileSync(fixture('cubic'));
  const all = sections(original);
  const text = all.find((s) => s.name === '.text')!;
  const rel = all.find((s) => s.name === '.rel.text')!;
  const target = loadObjectSpec(original, 'cubic.bpf.o').functions.find((f) => f.name === 'cubic_target')!;

  test('the unmodified object opens (the relocation at 0xb8 is inside cubic_target)', () => {
    expect(Number(original.readBigUInt64LE(rel.offset))).toBe(0xb8);
    expect(target).toMatchObject({ section: '.text', insnOffset: 0 });
  });

  test('moved to the last slot of cubic_target (an ld_imm64 there too): EINVAL naming function, section and offset', () => {
    const elf = Buffer.from(original);
    const lastInsn = target.insnOffset + target.insnCount - 1;
    // The last slot (the exit) becomes the first half of the ld_imm64; the relocation follows it.
    original.copy(elf, text.offset + lastInsn * 8, text.offset + 0xb8, text.offset + 0xc0);
    elf.writeBigUInt64LE(BigInt(lastInsn * 8), rel.offset);
    let err: unknown;
    try {
      loadObjectSpec(elf, 'cubic.bpf.o');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({
      code: 'EINVAL', program: 'cubic_target', section: '.text', offset: text.offset + lastInsn * 8,
    });
    expect((err as Error).message).toMatch(new RegExp(
      `^cubic\\.bpf\\.o: .*: function cubic_target: ld_imm64 at insn ${lastInsn} starts in its last instruction slot, so its second half lies outside the function$`,
    ));
  });
});
