// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import type { BtfComposite } from '../btf';
import { isBpfError } from '../errors';
import { kernelRelease } from '../sys';
import { readObjectFile } from '../elf';
import { KernelBtfs, loadObjectSpec, resolveKsyms, type FunctionSpec, type ObjectSpec, type StructOpsSpec } from '../object';
import { findKernelStructOps, planStructOps, type KernelStructOps } from '../struct-ops';
import { checkFamilyRules, checkKfuncLicense, familyCheckInput, unusedOnlyViolation, type KfuncCaller } from '../families';
import { functionPointerProto } from './declare';

/** One finding of {@link inspectObject}: errors stop a load, warnings do not. */
export interface InspectIssue {
  severity: 'error' | 'warning';
  message: string;
  map?: string;
  member?: string;
  program?: string;
  hint?: string;
}

/** A member of the object's struct_ops variable. */
export interface InspectedMember {
  name: string;
  /** Byte offset in the object's (local) struct. */
  offset: number;
  size: number;
  kind: 'function' | 'data';
  /** Program bound to a function-pointer member, if any. */
  program?: string;
  /** Whether the kernel's struct has a member of that name (undefined: kernel type missing). */
  inKernel?: boolean;
}

/** A struct_ops variable of the object and where the kernel defines its type. */
export interface InspectedStructOps {
  name: string;
  section: string;
  /** `.struct_ops.link`: registered through a BPF link. */
  link: boolean;
  /** False for `?.struct_ops*` sections (not created unless asked). */
  autocreate: boolean;
  /** Local C type, e.g. `struct tcp_congestion_ops___x`. */
  localType: string;
  /** Kernel struct it implements (flavour suffix stripped). */
  kernelType: string;
  /** The kernel's definition, or null when the running kernel lacks the type. */
  kernel: { module: string; typeId: number; valueTypeId: number; valueSize: number } | null;
  members: InspectedMember[];
}

/** A program of the object and the struct_ops members that use it. */
export interface InspectedProgram {
  name: string;
  section: string;
  structOps: boolean;
  usedBy: { map: string; member: string }[];
}

/** A `__ksym` extern (kfunc or typed ksym) checked against kernel BTF. */
export interface InspectedKsym {
  name: string;
  kind: 'kfunc' | 'ksym';
  weak: boolean;
  /** `'vmlinux'` or the module defining it; null when the kernel lacks it. */
  foundIn: string | null;
}

/** What {@link inspectObject} reports. */
export interface InspectReport {
  object: string;
  /** Running kernel release (uname -r) the object was checked against. */
  kernelRelease: string;
  license: string;
  structOps: InspectedStructOps[];
  programs: InspectedProgram[];
  ksyms: InspectedKsym[];
  issues: InspectIssue[];
  /** No issue is an error: the loader's matching against this kernel would succeed. */
  ok: boolean;
}

/**
 * Checks a BPF object against the running kernel without privileges and without creating
 * any kernel object (it reads the file and /sys/kernel/btf only): its struct_ops variables,
 * which program implements which member, and whether this kernel can take them — the
 * struct type, missing members (zero: warning, set: error), kind/size mismatches, missing
 * kfuncs (weak ones: warning) and struct_ops programs no map uses. The matching rules are
 * the loader's own (planStructOps, resolveKsyms), applied per map and per extern.
 *
 * @throws {BpfError} when the file cannot be read or is not a valid BPF object (ENOENT,
 *   EINVAL), or the kernel exposes no BTF.
 * @example
 * const report = inspectObject('cc.bpf.o');
 * for (const i of report.issues) console.log(i.severity, i.message);
 */
export function inspectObject(path: string): InspectReport {
  const data = readObjectFile(path, (code) => `cannot read ${path}: ${code}`);
  const spec = loadObjectSpec(data, path);
  const kernel = new KernelBtfs();
  const issues: InspectIssue[] = [];
  if (spec.structOps.length === 0) {
    issues.push({
      severity: 'error', message: `no struct_ops found in ${path}`,
      hint: 'declare a struct variable in SEC(".struct_ops") or SEC(".struct_ops.link")',
    });
  }
  const structOps = spec.structOps.map((s) => inspectStructOps(spec, s, kernel, issues));
  // load() skips unused struct_ops programs, but refuses an object where nothing else loads.
  const loading = kfuncCallers(spec);
  const programs = spec.programs.map((p): InspectedProgram => {
    const usedBy = spec.structOps.flatMap((s) => [...s.programs].filter(([, prog]) => prog === p.name).map(([member]) => ({ map: s.name, member })));
    if (p.structOps && usedBy.length === 0 && loading.length === 0) {
      const v = unusedOnlyViolation(p.name);
      issues.push({ severity: 'error', program: p.name, message: v.why, hint: v.hint });
    } else if (p.structOps && usedBy.length === 0) {
      issues.push({
        severity: 'warning', program: p.name,
        message: `program ${p.name}: struct_ops program not used by any struct_ops map, not loaded`,
        hint: 'bind it to a member of a SEC(".struct_ops") variable, or remove it',
      });
    }
    return { name: p.name, section: p.section, structOps: p.structOps, usedBy };
  });
  for (const v of checkKfuncLicense(loading, spec.license)) {
    issues.push({ severity: 'error', program: v.program, message: v.why, hint: v.hint });
  }
  return {
    object: path, kernelRelease: kernelRelease(), license: spec.license, structOps, programs,
    ksyms: inspectKsyms(spec, kernel, issues), issues, ok: !issues.some((i) => i.severity === 'error'),
  };
}

function inspectStructOps(spec: ObjectSpec, s: StructOpsSpec, kernel: KernelBtfs, issues: InspectIssue[]): InspectedStructOps {
  const object = spec.path ?? spec.name;
  const local = spec.btf.resolve(s.typeId) as BtfComposite;
  const kt = findKernelStructOps(s.kernelTypeName, kernel.sources());
  const kernelMembers = kt ? new Set((kt.btf.typeById(kt.typeId) as BtfComposite).members.map((m) => m.name)) : undefined;
  // A `?` map is not created by default: its problems would not stop a load.
  const severity = s.autocreate ? 'error' : 'warning';
  const suffix = s.autocreate ? '' : ' (map is not auto-created)';
  if (!kt) {
    issues.push({
      severity, map: s.name, message: `struct_ops ${s.name}: struct ${s.kernelTypeName} is not found in kernel BTF${suffix}`,
      hint: `the running kernel (or its modules) does not provide struct_ops type ${s.kernelTypeName}`,
    });
  } else {
    checkPlan(spec, s, kt, object, issues, severity, suffix);
  }
  // The same rules load() applies; inspect lists them all, including register-time ones.
  for (const v of checkFamilyRules(familyCheckInput(spec.btf, s, s.programs.keys(), spec.license))) {
    issues.push({
      // A value the program can still set before load (HID's hid_id) is not wrong yet.
      severity: v.settable ? 'warning' : severity,
      map: s.name, message: `struct_ops ${s.name}: ${v.member !== undefined ? `member ${v.member}: ` : ''}${v.why}${suffix}`,
      hint: v.hint, ...(v.member !== undefined ? { member: v.member } : {}),
    });
  }
  return {
    name: s.name, section: s.section, link: s.link, autocreate: s.autocreate,
    localType: spec.btf.typeName(s.typeId), kernelType: s.kernelTypeName,
    kernel: kt ? { module: kt.module ?? 'vmlinux', typeId: kt.typeId, valueTypeId: kt.valueTypeId, valueSize: kt.valueSize } : null,
    members: local.members.map((m): InspectedMember => ({
      name: m.name,
      offset: Math.floor(m.bitOffset / 8),
      size: m.bitfieldSize > 0 ? Math.ceil(m.bitfieldSize / 8) : spec.btf.sizeOf(m.type),
      kind: m.bitfieldSize === 0 && functionPointerProto(spec.btf, m.type) ? 'function' : 'data',
      ...(s.programs.has(m.name) ? { program: s.programs.get(m.name) } : {}),
      ...(kernelMembers ? { inKernel: kernelMembers.has(m.name) } : {}),
    })),
  };
}

/** Runs the loader's member matching; its first error and its warnings become issues. */
function checkPlan(
  spec: ObjectSpec, s: StructOpsSpec, kt: KernelStructOps, object: string, issues: InspectIssue[],
  severity: InspectIssue['severity'], suffix: string,
): void {
  try {
    const plan = planStructOps({ name: s.name, typeId: s.typeId, data: s.data, programs: s.programs }, spec.btf, kt, object);
    for (const w of plan.warnings) issues.push({ severity: 'warning', map: s.name, message: w });
  } catch (err) {
    if (!isBpfError(err)) throw err;
    issues.push({
      severity, map: s.name, message: err.message + suffix,
      ...(err.member !== undefined ? { member: err.member } : {}),
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    });
  }
}

/** Resolves each `__ksym` extern on its own, so one missing kfunc does not hide the next. */
function inspectKsyms(spec: ObjectSpec, kernel: KernelBtfs, issues: InspectIssue[]): InspectedKsym[] {
  const result: InspectedKsym[] = [];
  for (const ext of spec.externs) {
    if (ext.kind === 'kconfig') continue;
    let foundIn: string | null = null;
    try {
      const resolved = resolveKsyms({ ...spec, externs: [ext] }, kernel).get(ext.name);
      if (resolved && resolved.btfId !== 0) foundIn = resolved.module ?? 'vmlinux';
      else {
        issues.push({
          severity: 'warning', message: `weak ${ext.kind} ${ext.name} is not defined by the running kernel; its calls are disabled`,
          hint: 'guard its use with bpf_ksym_exists()',
        });
      }
    } catch (err) {
      if (!isBpfError(err)) throw err;
      issues.push({ severity: 'error', message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}) });
    }
    result.push({ name: ext.name, kind: ext.kind, weak: ext.weak, foundIn });
  }
  return result;
}

/**
 * The kfuncs each program that load() would load calls, through its subprograms too:
 * every program but struct_ops programs no auto-created map uses (those are left out).
 */
function kfuncCallers(spec: ObjectSpec): KfuncCaller[] {
  const byStart = new Map(spec.functions.map((f) => [`${f.sectionIndex}:${f.insnOffset}`, f] as const));
  const used = new Set(spec.structOps.filter((s) => s.autocreate).flatMap((s) => [...s.programs.values()]));
  return spec.programs.filter((p) => !p.structOps || used.has(p.name)).map((p) => {
    const kfuncs = new Set<string>();
    const seen = new Set<FunctionSpec>();
    const todo: FunctionSpec[] = [p];
    for (let fn = todo.pop(); fn !== undefined; fn = todo.pop()) {
      if (seen.has(fn)) continue;
      seen.add(fn);
      for (const r of fn.relocations) {
        if (r.kind === 'kfunc') kfuncs.add(r.extern);
        else if (r.kind === 'call' || r.kind === 'func_addr') {
          const callee = byStart.get(`${r.targetSection}:${r.targetInsn}`);
          if (callee) todo.push(callee);
        }
      }
    }
    return { program: p.name, kfuncs: [...kfuncs] };
  });
}
