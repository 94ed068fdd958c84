// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import { ElfFile, ElfSection, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF } from '../../elf';
import {
  CALL, INSN_SIZE, LD_IMM64, imm, isCall, isLdImm64, isPseudoCall, isPseudoFunc, srcReg, BPF_PSEUDO_CALL,
} from '../../asm';
import type { ExternSpec, FunctionSpec, InsnRelocation, MapSpec } from '../spec';
import { functionContaining } from './functions';

interface Context {
  elf: ElfFile;
  objectName: string;
  functions: FunctionSpec[];
  maps: MapSpec[];
  externs: ExternSpec[];
}

/**
 * Reads the relocations of every code section and records, per function, what each
 * relocated instruction refers to: another function (call or callback address), a map,
 * an address in global data or among the `__arena` globals, or an extern. Calls within one section that need no ELF
 * relocation are recorded too, so the linker sees every edge.
 */
export function collectRelocations(ctx: Context, codeSections: ElfSection[]): void {
  for (const section of codeSections) {
    const relocated = new Set<number>();
    for (const rel of ctx.elf.relocationsFor(section)) {
      const where = { object: ctx.objectName, section: section.name, offset: section.offset + rel.offset };
      if (rel.offset % INSN_SIZE !== 0) throw malformed(`relocation at unaligned offset ${rel.offset}`, where);
      const insn = rel.offset / INSN_SIZE;
      const fn = functionContaining(ctx.functions, section.index, insn);
      if (fn === undefined) throw malformed(`relocation at insn ${insn} is outside every function`, where);
      relocated.add(insn);
      fn.relocations.push(classify(ctx, section, insn, rel.symbol, fn, where));
    }
    addUnrelocatedCalls(ctx, section, relocated);
  }
}

function classify(
  ctx: Context, section: ElfSection, insn: number, symIndex: number, fn: FunctionSpec,
  where: { object: string; section: string; offset: number },
): InsnRelocation {
  const sym = ctx.elf.symbols[symIndex];
  const code = section.data;
  const local = insn - fn.insnOffset;
  if (sym === undefined) throw malformed(`relocation symbol ${symIndex} does not exist`, where);
  // ld_imm64 is 16 bytes: in the function's last 8-byte slot its second half would be the
  // next function's first instruction (or past the section), which a loader would patch.
  if (isLdImm64(code, insn) && local + 1 >= fn.insnCount) {
    throw malformed(
      `function ${fn.name}: ld_imm64 at insn ${insn} starts in its last instruction slot, so its second half lies outside the function`,
      { ...where, program: fn.name },
    );
  }

  if (sym.shndx === SHN_UNDEF) {
    const ext = ctx.externs.find((e) => e.name === sym.name);
    if (ext === undefined) {
      throw malformed(`instruction ${insn} refers to unknown extern ${sym.name} (not in .kconfig or .ksyms)`, where);
    }
    if (isCall(code, insn) && ext.kind === 'kfunc') return { kind: 'kfunc', insn: local, extern: ext.name };
    if (isLdImm64(code, insn) && ext.kind === 'kconfig') return { kind: 'kconfig', insn: local, extern: ext.name };
    // ld_imm64 of a kfunc's address is an existence check (bpf_ksym_exists): a BTF_ID load.
    if (isLdImm64(code, insn) && (ext.kind === 'ksym' || ext.kind === 'kfunc')) {
      return { kind: 'ksym_var', insn: local, extern: ext.name };
    }
    throw malformed(`instruction ${insn} cannot refer to ${ext.kind} extern ${sym.name}`, where);
  }
  if (sym.shndx >= SHN_LORESERVE) throw malformed(`relocation against special symbol ${sym.name}`, where);
  const target = ctx.elf.sectionAt(sym.shndx);

  if (isCall(code, insn)) {
    if (srcReg(code, insn) !== BPF_PSEUDO_CALL || (target.flags & SHF_EXECINSTR) === 0) {
      throw malformed(`call at insn ${insn} relocated against non-code symbol ${sym.name}`, where);
    }
    // Static callees relocate against the section symbol with imm = start - 1; global ones
    // against their own symbol with imm = -1. Both give value/8 + imm + 1.
    const targetInsn = sym.value / INSN_SIZE + imm(code, insn) + 1;
    return { kind: 'call', insn: local, targetSection: target.index, targetInsn };
  }
  if (!isLdImm64(code, insn)) {
    throw malformed(`relocation at insn ${insn} is neither ld_imm64 nor call`, where);
  }
  if ((target.flags & SHF_EXECINSTR) !== 0) {
    const byteOff = sym.value + imm(code, insn);
    if (byteOff % INSN_SIZE !== 0) throw malformed(`callback address at insn ${insn} is unaligned`, where);
    return { kind: 'func_addr', insn: local, targetSection: target.index, targetInsn: byteOff / INSN_SIZE };
  }
  if (target.name === '.maps') {
    const map = ctx.maps.find((m) => m.kind === 'user' && m.name === sym.name);
    if (map === undefined) throw malformed(`instruction ${insn} refers to unknown map ${sym.name}`, where);
    return { kind: 'map', insn: local, map: map.name };
  }
  const arena = ctx.maps.find((m) => m.arenaGlobals?.sectionIndex === target.index);
  if (arena !== undefined) {
    // libbpf's RELO_DATA into the arena map: the address of the variable at the arena's end.
    return { kind: 'arena', insn: local, map: arena.name, offset: arena.arenaGlobals!.offset + sym.value + imm(code, insn) };
  }
  const data = ctx.maps.find((m) => m.kind === 'data' && m.sectionIndex === target.index);
  if (data !== undefined) {
    return { kind: 'data', insn: local, map: data.name, offset: sym.value + imm(code, insn) };
  }
  throw malformed(`instruction ${insn} refers to ${sym.name} in unsupported section ${target.name}`, where);
}

/** Calls and callback loads inside one section that clang resolved without a relocation. */
function addUnrelocatedCalls(ctx: Context, section: ElfSection, relocated: Set<number>): void {
  const code = section.data;
  const count = code.length / INSN_SIZE;
  for (let insn = 0; insn < count; insn++) {
    // Cheap opcode test first: this runs once per instruction of the object.
    const op = code[insn * INSN_SIZE];
    if (op !== CALL && op !== LD_IMM64) continue;
    const pseudoCall = isPseudoCall(code, insn);
    if ((!pseudoCall && !isPseudoFunc(code, insn)) || relocated.has(insn)) continue;
    const fn = functionContaining(ctx.functions, section.index, insn);
    if (fn === undefined) continue;
    const targetInsn = pseudoCall ? insn + imm(code, insn) + 1 : imm(code, insn) / INSN_SIZE;
    fn.relocations.push({
      kind: pseudoCall ? 'call' : 'func_addr',
      insn: insn - fn.insnOffset,
      targetSection: section.index,
      targetInsn,
    });
  }
}
