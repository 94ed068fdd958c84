import { BpfError } from '../../errors';
import { applyCoreRelocations, PoisonedRelocation } from '../../core';
import { findKernelStructOps } from '../../struct-ops/kernel-type';
import { buildStructOpsValue, planStructOps, StructOpsPlan } from '../../struct-ops/plan';
import { Fd, btfLoadAsync, progBindMap } from '../../sys';
import { INSN_SIZE } from '../insn';
import type { BpfMap } from '../map';
import type { BpfProgram } from '../program';
import type { FunctionSpec, ObjectSpec } from '../spec';
import type { StructOpsMap } from '../struct-ops-map';
import { applyFixups } from './fixups';
import type { KernelBtfs } from './kernel-btfs';
import { resolveKsyms } from './ksyms';
import { linkProgram, LinkedProgram } from './link';
import { createMaps } from './maps';
import { encodeObjectBtf } from './object-btf';
import { loadPrograms } from './programs';

/** The object's parts that load() fills in; owned (and closed on failure) by BpfObject. */
export interface LoadTarget {
  spec: ObjectSpec;
  programs: Map<string, BpfProgram>;
  maps: Map<string, BpfMap>;
  structOps: Map<string, StructOpsMap>;
  warnings: string[];
  /** Takes ownership of fds that belong to no map or program (the object BTF). */
  own(fd: Fd): void;
}

/**
 * The load phase (ARCHITECTURE.md): resolve externs and struct_ops types against kernel BTF,
 * relocate and link programs, load the object BTF, create and populate maps, load programs
 * concurrently, then build each struct_ops map's kernel value with the program fds.
 */
export async function loadObject(t: LoadTarget, kernel: KernelBtfs): Promise<void> {
  const { spec } = t;
  const object = spec.path ?? spec.name;
  const ksyms = resolveKsyms(spec, kernel);
  const plans = planAll(t, kernel, object);
  const toLoad = selectPrograms(t, plans);

  const poisonedBy = new Map<FunctionSpec, PoisonedRelocation[]>();
  const codeOf = coreRelocator(spec, kernel, poisonedBy);
  const linked = toLoad.map((p) => linkProgram(p.spec, spec.functions, codeOf, spec.btfExt, object));

  const btfFd = await btfLoadAsync(encodeObjectBtf(spec)).catch((err: unknown) => {
    if (err instanceof BpfError) {
      (err as { object?: string; hint?: string }).object = object;
      (err as { hint?: string }).hint ??= 'the kernel rejected the object BTF; see err.verifierLog';
    }
    throw err;
  });
  t.own(btfFd);
  createMaps(t, btfFd, plans, kernel, object);

  const modules = [...new Set([...ksyms.values()].flatMap((k) => (k.module ? [k.module] : [])))];
  const fdArray = modules.length > 0 ? Buffer.alloc((modules.length + 1) * 4) : undefined;
  modules.forEach((m, i) => fdArray!.writeInt32LE(kernel.moduleFd(m).raw, (i + 1) * 4));
  const mapFd = (name: string): number => {
    const map = t.maps.get(name) ?? t.structOps.get(name);
    if (!map) throw new BpfError(`unknown map ${name}`, { object });
    return map.fd.raw;
  };
  for (const l of linked) {
    applyFixups(l, { object, mapFd, externs: spec.externs, ksyms, moduleSlot: (m) => modules.indexOf(m) + 1 });
  }

  const fds = await loadPrograms(linked.map((l) => {
    const prog = t.programs.get(l.spec.name)!;
    const plan = [...plans.values()].find((p) => p.slots.some((s) => s.program === l.spec.name));
    return {
      linked: l, license: spec.license, kernVersion: spec.kernVersion, btfFd,
      attachBtfId: prog.attachBtfId, expectedAttachType: prog.expectedAttachType,
      attachBtfObjFd: plan?.kernel.module ? kernel.moduleFd(plan.kernel.module) : undefined,
      fdArray, poisoned: poisonedFor(l, poisonedBy),
    };
  }), object);
  fds.forEach((fd, i) => t.programs.get(linked[i].spec.name)!.setLoaded(fd));

  const rodata = t.maps.get('.rodata');
  if (rodata) for (const fd of fds) progBindMap(fd, rodata.fd);

  for (const [name, plan] of plans) {
    const value = buildStructOpsValue(plan, (program) => t.programs.get(program)!.fd.raw);
    t.structOps.get(name)!.setPlan(plan, value);
  }
}

/** Matches every auto-created struct_ops map to its kernel type and binds its programs. */
function planAll(t: LoadTarget, kernel: KernelBtfs, object: string): Map<string, StructOpsPlan> {
  const plans = new Map<string, StructOpsPlan>();
  for (const map of t.structOps.values()) {
    const s = map.structOps;
    if (!s.autocreate) continue;
    const kt = findKernelStructOps(s.kernelTypeName, kernel.sources());
    if (kt === undefined) {
      throw new BpfError(`struct_ops ${s.name}: struct ${s.kernelTypeName} is not found in kernel BTF`, {
        code: 'ENOENT', object, map: s.name,
        hint: `the running kernel (or its modules) does not provide struct_ops type ${s.kernelTypeName}`,
      });
    }
    const bound = new Map([...map.programs].map(([member, prog]) => [member, prog.name] as const));
    const plan = planStructOps({ name: s.name, typeId: s.typeId, data: s.data, programs: bound }, t.spec.btf, kt, object);
    t.warnings.push(...plan.warnings);
    for (const slot of plan.slots) {
      const prog = t.programs.get(slot.program)!;
      if (prog.attachBtfId !== 0 && (prog.attachBtfId !== kt.typeId || prog.expectedAttachType !== slot.memberIndex)) {
        throw new BpfError(
          `program ${prog.name} is used for struct_ops members of different kernel slots (${s.name}.${slot.member} and another)`,
          { code: 'EINVAL', object, program: prog.name, map: s.name, member: slot.member,
            hint: 'a struct_ops program is verified for one kernel member; write one program per member' },
        );
      }
      prog.attachBtfId = kt.typeId;
      prog.expectedAttachType = slot.memberIndex;
    }
    plans.set(s.name, plan);
  }
  return plans;
}

/** struct_ops programs load when a created map uses them; others unless autoload=false. */
function selectPrograms(t: LoadTarget, plans: Map<string, StructOpsPlan>): BpfProgram[] {
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
  return selected;
}

/** Returns a per-function code provider that applies CO-RE relocations once per function. */
function coreRelocator(
  spec: ObjectSpec, kernel: KernelBtfs, poisonedBy: Map<FunctionSpec, PoisonedRelocation[]>,
): (fn: FunctionSpec) => Buffer {
  const cache = new Map<FunctionSpec, Buffer>();
  return (fn) => {
    let code = cache.get(fn);
    if (!code) {
      const section = spec.elf.sectionAt(fn.sectionIndex);
      code = Buffer.from(section.data.subarray(fn.insnOffset * INSN_SIZE, (fn.insnOffset + fn.insnCount) * INSN_SIZE));
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

function poisonedFor(l: LinkedProgram, poisonedBy: Map<FunctionSpec, PoisonedRelocation[]>): PoisonedRelocation[] {
  return l.layout.flatMap(({ fn, start }) =>
    (poisonedBy.get(fn) ?? []).map((p) => ({ ...p, insnIndex: p.insnIndex + start })));
}
