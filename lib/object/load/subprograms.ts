// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import type { BtfExt } from '../../btf';
import {
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, INSN_SIZE, setImm, setSrcReg,
} from '../../asm';
import type { FunctionSpec, InsnRelocation, ProgramSpec } from '../spec';
import { functionAt } from '../open/functions';

/** A relocation still to be applied once maps and externs exist, at a final instruction index. */
export interface PendingFixup {
  insn: number;
  relocation: Exclude<InsnRelocation, { kind: 'call' } | { kind: 'func_addr' }>;
}

/** A program with its subprograms appended, ready for the final fix-ups and PROG_LOAD. */
export interface ProgramWithSubprograms {
  spec: ProgramSpec;
  insns: Buffer;
  /** bpf_func_info records (insn_off in instructions, type_id), 8 bytes each. */
  funcInfo: Buffer;
  funcInfoCount: number;
  /** bpf_line_info records (insn_off in instructions), 16 bytes each. */
  lineInfo: Buffer;
  lineInfoCount: number;
  fixups: PendingFixup[];
  /** Which function starts where in `insns` (for error messages). */
  layout: { fn: FunctionSpec; start: number }[];
}

/** Returns one function's instructions (a fresh copy, CO-RE already applied). */
export type CodeOf = (fn: FunctionSpec) => Buffer;

/**
 * Appends every function a program calls or takes the address of (transitively) after the
 * program's own code, rewrites call/callback offsets to the new positions, and rebases the
 * program's BTF.ext func_info/line_info records onto the linked instruction stream.
 */
export function appendSubprograms(
  prog: ProgramSpec, functions: readonly FunctionSpec[], codeOf: CodeOf, btfExt: BtfExt | undefined, object: string,
): ProgramWithSubprograms {
  const placed = new Map<FunctionSpec, number>([[prog, 0]]);
  const layout: { fn: FunctionSpec; start: number }[] = [];
  const chunks: Buffer[] = [];
  const fixups: PendingFixup[] = [];
  const queue: FunctionSpec[] = [prog];
  let end = prog.insnCount;

  while (queue.length > 0) {
    const fn = queue.shift()!;
    const base = placed.get(fn)!;
    const code = codeOf(fn);
    layout.push({ fn, start: base });
    for (const rel of fn.relocations) {
      // The symbol's extent bounds its relocations (a symbol shorter than them is malformed).
      if (!Number.isInteger(rel.insn) || rel.insn < 0 || rel.insn >= fn.insnCount) {
        throw malformed(`${fn.name}: relocation at instruction ${rel.insn} lies outside the function's ${fn.insnCount} instructions`, {
          object, program: prog.name, section: fn.section,
        });
      }
      const at = base + rel.insn;
      if (rel.kind !== 'call' && rel.kind !== 'func_addr') {
        fixups.push({ insn: at, relocation: rel });
        continue;
      }
      const target = functionAt(functions, rel.targetSection, rel.targetInsn);
      if (target === undefined) {
        throw malformed(`${fn.name}: instruction ${rel.insn} calls into the middle of a function or past its section`, {
          object, program: prog.name, section: fn.section,
        });
      }
      if (!placed.has(target)) {
        placed.set(target, end);
        end += target.insnCount;
        queue.push(target);
      }
      setImm(code, rel.insn, placed.get(target)! - at - 1);
      setSrcReg(code, rel.insn, rel.kind === 'call' ? BPF_PSEUDO_CALL : BPF_PSEUDO_FUNC);
    }
    chunks.push(code);
  }

  const funcInfo = rebase(btfExt?.funcInfo, layout, 8, (rec, insnOff, out, o) => {
    out.writeUInt32LE(insnOff, o);
    out.writeUInt32LE(rec.typeId, o + 4);
  });
  const lineInfo = rebase(btfExt?.lineInfo, layout, 16, (rec, insnOff, out, o) => {
    out.writeUInt32LE(insnOff, o);
    out.writeUInt32LE(rec.fileNameOff, o + 4);
    out.writeUInt32LE(rec.lineOff, o + 8);
    out.writeUInt32LE(rec.lineCol, o + 12);
  });
  return {
    spec: prog, insns: Buffer.concat(chunks), funcInfo: funcInfo.bytes, funcInfoCount: funcInfo.count,
    lineInfo: lineInfo.bytes, lineInfoCount: lineInfo.count, fixups, layout,
  };
}

/** Copies the section-relative records of each placed function, with insn_off in instructions. */
function rebase<R extends { insnOff: number }>(
  bySection: Map<string, R[]> | undefined,
  layout: { fn: FunctionSpec; start: number }[],
  recordSize: number,
  write: (rec: R, insnOff: number, out: Buffer, offset: number) => void,
): { bytes: Buffer; count: number } {
  if (bySection === undefined) return { bytes: Buffer.alloc(0), count: 0 };
  const picked: { rec: R; insnOff: number }[] = [];
  for (const { fn, start } of layout) {
    for (const rec of bySection.get(fn.section) ?? []) {
      const insn = rec.insnOff / INSN_SIZE;
      if (insn >= fn.insnOffset && insn < fn.insnOffset + fn.insnCount) {
        picked.push({ rec, insnOff: start + insn - fn.insnOffset });
      }
    }
  }
  picked.sort((a, b) => a.insnOff - b.insnOff);
  const bytes = Buffer.alloc(picked.length * recordSize);
  picked.forEach(({ rec, insnOff }, i) => write(rec, insnOff, bytes, i * recordSize));
  return { bytes, count: picked.length };
}
