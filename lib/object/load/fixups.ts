// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import {
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, CALL, INSN_SIZE,
  POISON_KFUNC_BASE, imm, setImm, setOff, setSrcReg,
} from '../../asm';
import type { ExternSpec } from '../spec';
import type { ProgramWithSubprograms } from './subprograms';
import type { ResolvedKsym } from './ksyms';

/** What the final fix-up pass needs to know about the kernel objects that now exist. */
export interface FixupContext {
  object: string;
  mapFd: (mapName: string) => number;
  externs: readonly ExternSpec[];
  ksyms: Map<string, ResolvedKsym>;
  /** fd_array slot (≥ 1) holding a module's BTF fd, for module kfuncs. */
  moduleSlot: (module: string) => number;
}

/**
 * Writes map fds, global-data and `__arena` global offsets, kconfig offsets and kernel BTF ids into a
 * program's instructions (the last step before BPF_PROG_LOAD).
 */
export function applyFixups(prog: ProgramWithSubprograms, ctx: FixupContext): void {
  const insns = prog.insns;
  for (const { insn, relocation: rel } of prog.fixups) {
    const fail = (why: string): BpfError =>
      new BpfError(`program ${prog.spec.name}: instruction ${insn}: ${why}`, { object: ctx.object, program: prog.spec.name });
    // Every kind but a kfunc call patches a 16-byte ld_imm64: both slots must be in the program.
    const slots = rel.kind === 'kfunc' ? 1 : 2;
    if (!Number.isInteger(insn) || insn < 0 || insn + slots > insns.length / INSN_SIZE) {
      throw fail(`relocation past the end of the program (${insns.length / INSN_SIZE} instructions)`);
    }
    switch (rel.kind) {
      case 'map':
        setSrcReg(insns, insn, BPF_PSEUDO_MAP_FD);
        setImm(insns, insn, ctx.mapFd(rel.map));
        setImm(insns, insn + 1, 0);
        break;
      case 'data':
      case 'arena':
        setSrcReg(insns, insn, BPF_PSEUDO_MAP_VALUE);
        setImm(insns, insn, ctx.mapFd(rel.map));
        setImm(insns, insn + 1, rel.offset);
        break;
      case 'kconfig': {
        const ext = ctx.externs.find((e) => e.name === rel.extern);
        if (!ext) throw fail(`unknown kconfig extern ${rel.extern}`);
        const addend = imm(insns, insn);
        setSrcReg(insns, insn, BPF_PSEUDO_MAP_VALUE);
        setImm(insns, insn, ctx.mapFd('.kconfig'));
        setImm(insns, insn + 1, ext.offset + addend);
        break;
      }
      case 'kfunc': {
        const ksym = ctx.ksyms.get(rel.extern);
        if (!ksym) throw fail(`unresolved kfunc ${rel.extern}`);
        if (ksym.btfId === 0) {
          // Missing weak kfunc: a call the verifier rejects only if it is reachable.
          insns[insn * INSN_SIZE] = CALL;
          insns[insn * INSN_SIZE + 1] = 0;
          setOff(insns, insn, 0);
          setImm(insns, insn, POISON_KFUNC_BASE + ctx.externs.findIndex((e) => e.name === rel.extern));
          break;
        }
        setSrcReg(insns, insn, BPF_PSEUDO_KFUNC_CALL);
        setImm(insns, insn, ksym.btfId);
        setOff(insns, insn, ksym.module === undefined ? 0 : ctx.moduleSlot(ksym.module));
        break;
      }
      case 'ksym_var': {
        const ksym = ctx.ksyms.get(rel.extern);
        if (!ksym) throw fail(`unresolved ksym ${rel.extern}`);
        if (ksym.btfId === 0) {
          // Missing weak typed ksym: load NULL, so `if (&sym)` checks see it absent.
          setSrcReg(insns, insn, 0);
          setImm(insns, insn, 0);
          setImm(insns, insn + 1, 0);
          break;
        }
        setSrcReg(insns, insn, BPF_PSEUDO_BTF_ID);
        setImm(insns, insn, ksym.btfId);
        setImm(insns, insn + 1, 0);
        break;
      }
    }
  }
}
