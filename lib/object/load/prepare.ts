// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { checkFamilyRules, checkKfuncLicense, familyCheckInput, unusedOnlyViolation } from '../../families';
import { BpfError } from '../../errors';
import { BtfKind, type BtfFeatures } from '../../btf';
import { applyCoreRelocations, PoisonedRelocation } from '../../core';
import { findKernelStructOps, planStructOps, type StructOpsPlan } from '../../struct-ops';
import { INSN_SIZE } from '../../asm';
import type { BpfMap } from '../map';
import type { BpfProgram } from '../program';
import type { FunctionSpec, ObjectSpec } from '../spec';
import type { StructOpsMap } from '../struct-ops-map';
import type { KernelBtfs } from '../../kernel';
import { resolveKsyms, type ResolvedKsym } from './ksyms';
import { appendSubprograms, type ProgramWithSubprograms } from './subprograms';
import { encodeObjectBtf } from './object-btf';
import { planDataResize } from '../data-resize';

/** The parts of an object the load phase reads (BpfObject, or a copy of it for a plan). */
export interface PrepareTarget {
  spec: ObjectSpec;
  programs: ReadonlyMap<string, BpfProgram>;
  /** Maps other than struct_ops maps. */
  maps: ReadonlyMap<string, BpfMap>;
  structOps: ReadonlyMap<string, StructOpsMap>;
  /** Receives the non-fatal findings (skipped members, unused programs). */
  warnings: string[];
}

/** Where a struct_ops program attaches: the kernel struct and the member it implements. */
export interface ProgramAttach {
  /** Kernel `struct T` id (a split id for a module's type). */
  attachBtfId: number;
  /** Kernel member index. */
  expectedAttachType: number;
  /** Module whose BTF defines T; undefined for vmlinux. */
  module?: string;
}

/**
 * Everything the load phase decides from the object and kernel BTF alone, before any kernel
 * object exists: what MAP_CREATE and PROG_LOAD will be asked, minus the fds.
 */
export interface PreparedLoad {
  /** Name used in errors (the object's path, or its name). */
  object: string;
  /** The BTF features the object BTF was encoded for. */
  features: BtfFeatures;
  /** The object BTF for BPF_BTF_LOAD (fix-ups done, sanitized for `features`). */
  btf: Buffer;
  ksyms: Map<string, ResolvedKsym>;
  /** One plan per auto-created struct_ops map, by map name. */
  plans: Map<string, StructOpsPlan>;
  /** struct_ops programs by name, with the kernel slot they were matched to. */
  attach: Map<string, ProgramAttach>;
  /** The programs to load, each with its subprograms appended; fd fix-ups still to apply. */
  programs: ProgramWithSubprograms[];
  /** CO-RE relocations that could not be resolved, per program (same order). */
  poisoned: PoisonedRelocation[][];
  /** Modules whose kfuncs are called, in fd_array order: module i is at slot i + 1. */
  kfuncModules: string[];
}

/**
 * The kernel-independent half of loading (ARCHITECTURE.md's load phase up to BTF_LOAD):
 * resolves externs and struct_ops types against kernel BTF, matches members, selects,
 * CO-RE-relocates and links programs, and encodes the object BTF. Makes no syscall and
 * changes nothing in `t` except appending to `t.warnings`.
 *
 * @throws {BpfError} for a missing kernel type or extern, a member mismatch, a program used
 *   for two kernel slots, or malformed input
 */
export function prepareLoad(t: PrepareTarget, kernel: KernelBtfs, features: BtfFeatures): PreparedLoad {
  const { spec } = t;
  const object = spec.path ?? spec.name;
  const ksyms = resolveKsyms(spec, kernel);
  const { plans, attach } = planAll(t, kernel, object);
  const toLoad = selectPrograms(t, plans);
  for (const p of toLoad) {
    if (p.spec.btfTarget) attach.set(p.name, tracingTarget(p, kernel, object));
  }

  const poisonedBy = new Map<FunctionSpec, PoisonedRelocation[]>();
  const codeOf = coreRelocator(spec, kernel, poisonedBy);
  const linked = toLoad.map((p) => appendSubprograms(p.spec, spec.functions, codeOf, spec.btfExt, object));
  for (const l of linked) requireCreatedMaps(l, t, object);
  // The kernel lets only GPL-compatible programs call kfuncs; refuse it here, by program.
  const kfuncCallers = linked.map((l) => ({
    program: l.spec.name,
    kfuncs: [...new Set(l.layout.flatMap(({ fn }) => fn.relocations.flatMap((r) => (r.kind === 'kfunc' ? [r.extern] : []))))],
  }));
  const nonGpl = checkKfuncLicense(kfuncCallers, spec.license)[0];
  if (nonGpl) {
    const p = t.programs.get(nonGpl.program)!;
    throw new BpfError(nonGpl.why, { code: nonGpl.code, object, program: nonGpl.program, section: p.spec.section, hint: nonGpl.hint });
  }
  const kfuncModules = [...new Set([...ksyms.values()].flatMap((k) => (k.module ? [k.module] : [])))];
  const resizes = [...t.maps.values()]
    .filter((m) => m.spec.kind === 'data' && m.autocreate && m.valueSize !== m.spec.valueSize)
    .map((m) => planDataResize(spec.btf, m.spec.section, m.valueSize, object));
  return {
    object, features, btf: encodeObjectBtf(spec, features, resizes), ksyms, plans, attach, programs: linked,
    poisoned: linked.map((l) => poisonedFor(l, poisonedBy)), kfuncModules,
  };
}

/** Matches every auto-created struct_ops map to its kernel type and binds its programs. */
function planAll(
  t: PrepareTarget, kernel: KernelBtfs, object: string,
): { plans: Map<string, StructOpsPlan>; attach: Map<string, ProgramAttach> } {
  const plans = new Map<string, StructOpsPlan>();
  const attach = new Map<string, ProgramAttach>();
  for (const map of t.structOps.values()) {
    const s = map.structOps;
    if (!map.autocreate) continue;
    const kt = findKernelStructOps(s.kernelTypeName, kernel.sources());
    if (kt === undefined) {
      throw new BpfError(`struct_ops ${s.name}: struct ${s.kernelTypeName} is not found in kernel BTF`, {
        code: 'ENOENT', object, map: s.name,
        hint: `the running kernel (or its modules) does not provide struct_ops type ${s.kernelTypeName}`,
      });
    }
    const bound = new Map([...map.programs].map(([member, prog]) => [member, prog.name] as const));
    // What the kernel will refuse anyway (license, the family's rules) is refused here, by member.
    const refused = checkFamilyRules(familyCheckInput(t.spec.btf, s, bound.keys(), t.spec.license)).find((v) => !v.atRegister);
    if (refused) {
      throw new BpfError(`struct_ops ${s.name}: ${refused.member !== undefined ? `member ${refused.member}: ` : ''}${refused.why}`, {
        code: refused.code, object, map: s.name, hint: refused.hint, ...(refused.member !== undefined ? { member: refused.member } : {}),
      });
    }
    const plan = planStructOps({ name: s.name, typeId: s.typeId, data: map.localData, programs: bound }, t.spec.btf, kt, object);
    t.warnings.push(...plan.warnings);
    for (const slot of plan.slots) {
      const have = attach.get(slot.program);
      // Reuse across maps is fine for the same kernel slot (libbpf's rule), never for another.
      if (have && (have.attachBtfId !== kt.typeId || have.module !== kt.module || have.expectedAttachType !== slot.memberIndex)) {
        throw new BpfError(
          `program ${slot.program} is used for struct_ops members of different kernel slots (${s.name}.${slot.member} and another)`,
          { code: 'EINVAL', object, program: slot.program, map: s.name, member: slot.member,
            hint: 'a struct_ops program is verified for one kernel member; write one program per member' },
        );
      }
      attach.set(slot.program, { attachBtfId: kt.typeId, expectedAttachType: slot.memberIndex, module: kt.module });
    }
    plans.set(s.name, plan);
  }
  return { plans, attach };
}

/** struct_ops programs load when a created map uses them; others unless autoload=false. */
function selectPrograms(t: PrepareTarget, plans: Map<string, StructOpsPlan>): BpfProgram[] {
  const used = new Set([...plans.values()].flatMap((p) => p.slots.map((s) => s.program)));
  const selected: BpfProgram[] = [];
  for (const prog of t.programs.values()) {
    if (prog.spec.structOps && !used.has(prog.name)) {
      if (prog.autoload !== false) {
        t.warnings.push(`program ${prog.name}: struct_ops program not used by any struct_ops map, not loaded`);
      }
      continue;
    }
    if (prog.autoload === false) {
      if (used.has(prog.name)) {
        throw new BpfError(`program ${prog.name} has autoload=false but a struct_ops map uses it`, {
          code: 'EINVAL', program: prog.name, object: t.spec.path,
        });
      }
      continue;
    }
    selected.push(prog);
  }
  // Skipping an unused struct_ops program is right when something else loads; when nothing
  // would, the object is a mistake (a missing map) and the kernel, asked to load the program,
  // refuses it for lack of a member (ENOTSUPP). inspect reports the same error.
  const referenced = new Set([...t.structOps.values()].flatMap((m) => [...m.programs.values()].map((p) => p.name)));
  const stray = [...t.programs.values()].find((p) => p.spec.structOps && p.autoload !== false && !referenced.has(p.name));
  if (selected.length === 0 && stray) {
    const v = unusedOnlyViolation(stray.name);
    throw new BpfError(v.why, { code: v.code, object: t.spec.path ?? t.spec.name, program: stray.name, section: stray.spec.section, hint: v.hint });
  }
  return selected;
}


/**
 * The kernel BTF id a tracing program attaches to: the FUNC named by `fentry/NAME` (and
 * fexit/fmod_ret), or the `btf_trace_NAME` typedef of `tp_btf/NAME`, in vmlinux or a module.
 */
function tracingTarget(p: BpfProgram, kernel: KernelBtfs, object: string): ProgramAttach {
  const target = p.spec.attachTarget ?? '';
  const wanted = p.spec.btfTarget === 'trace' ? `btf_trace_${target}` : target;
  const kind = p.spec.btfTarget === 'trace' ? BtfKind.TYPEDEF : BtfKind.FUNC;
  if (target !== '') {
    for (const { btf, module } of kernel.sources()) {
      const t = btf.findByName(wanted, kind, { ownOnly: module !== undefined });
      if (t) return { attachBtfId: t.id, expectedAttachType: p.spec.expectedAttachType, module };
    }
  }
  const what = p.spec.btfTarget === 'trace' ? 'raw tracepoint' : 'kernel function';
  throw new BpfError(`program ${p.name}: ${what} ${target === '' ? '(none named)' : target} is not in kernel BTF`, {
    code: 'ENOENT', object, program: p.name, section: p.spec.section,
    hint: target === ''
      ? `name the target in the section: SEC("${p.spec.section}/<name>")`
      : `the running kernel has no BTF ${p.spec.btfTarget === 'trace' ? `typedef ${wanted}` : `function ${target}`} (inlined, renamed, or absent); leave the program out with program.autoload = false`,
  });
}

/** A loading program must not use a map left out with `autocreate = false`. */
function requireCreatedMaps(l: ProgramWithSubprograms, t: PrepareTarget, object: string): void {
  for (const { fn } of l.layout) {
    for (const rel of fn.relocations) {
      const name = rel.kind === 'map' || rel.kind === 'data' || rel.kind === 'arena' ? rel.map : rel.kind === 'kconfig' ? '.kconfig' : undefined;
      const map = name === undefined ? undefined : t.maps.get(name);
      if (map && !map.autocreate) {
        throw new BpfError(`program ${l.spec.name} uses map ${map.name}, which has autocreate = false`, {
          code: 'EINVAL', object, program: l.spec.name, map: map.name,
          hint: `leave the program out too (program.autoload = false), or keep the map (map.autocreate = true)`,
        });
      }
    }
  }
}

/** Returns a per-function code provider that applies CO-RE relocations once per function. */
function coreRelocator(
  spec: ObjectSpec, kernel: KernelBtfs, poisonedBy: Map<FunctionSpec, PoisonedRelocation[]>,
): (fn: FunctionSpec) => Buffer {
  const cache = new Map<FunctionSpec, Buffer>();
  return (fn) => {
    let code = cache.get(fn);
    if (!code) {
      code = Buffer.from(fn.insns);
      const start = fn.insnOffset * INSN_SIZE;
      const end = start + fn.insnCount * INSN_SIZE;
      const relos = (spec.btfExt?.coreRelos.get(fn.section) ?? [])
        .filter((r) => r.insnOff >= start && r.insnOff < end)
        .map((r) => ({ insnOff: r.insnOff - start, typeId: r.typeId, accessStr: r.accessStr, kind: r.kind }));
      if (relos.length > 0) {
        const result = applyCoreRelocations(code, relos, spec.btf, [kernel.vmlinux], { program: fn.name, section: fn.section });
        if (result.poisoned.length > 0) poisonedBy.set(fn, result.poisoned);
      }
      cache.set(fn, code);
    }
    return Buffer.from(code);
  };
}

function poisonedFor(l: ProgramWithSubprograms, poisonedBy: Map<FunctionSpec, PoisonedRelocation[]>): PoisonedRelocation[] {
  return l.layout.flatMap(({ fn, start }) =>
    (poisonedBy.get(fn) ?? []).map((p) => ({ ...p, insnIndex: p.insnIndex + start })));
}
