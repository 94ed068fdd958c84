// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The one place the loader turns its decisions into MAP_CREATE and PROG_LOAD attributes.
 * Pure: fds come in as numbers (real ones when loading, placeholders in a load plan), so a
 * plan computes exactly the attrs a load sends.
 */
import type { StructOpsPlan } from '../../struct-ops';
import { BPF_F_LINK, BPF_F_VTYPE_BTF_OBJ_FD, BpfMapType, type FdLike, type MapCreateAttr, type ProgLoadAttr } from '../../sys';
import type { BpfMap } from '../map';
import type { MapSpec } from '../spec';
import type { StructOpsMap } from '../struct-ops-map';
import { applyFixups } from './fixups';
import type { ProgramWithSubprograms } from './subprograms';
import type { PreparedLoad, PrepareTarget } from './prepare';
import { kernelProgName } from './programs';

/** The fds the attrs refer to. */
export interface LoadFds {
  /** The object BTF (from BPF_BTF_LOAD). */
  btf: FdLike;
  /** A created map's fd, by object map name (struct_ops maps included). */
  map(name: string): number;
  /** The BTF object fd of a kernel module (KernelBtfs.moduleFd). */
  module(name: string): number;
}

/** One BPF_MAP_CREATE the load makes, in creation order. */
export interface MapCreateRequest {
  /** Object map name (`.bss`, `cu_sk_state`, a struct_ops variable name). */
  name: string;
  /** The plain map or struct_ops map it creates. */
  map: BpfMap;
  attr: MapCreateAttr;
}

/**
 * The MAP_CREATE attrs for every map the load creates: plain maps (BTF-defined, global data,
 * `.kconfig`) in object order, then one STRUCT_OPS map per planned struct_ops variable.
 * Without kernel DATASEC support, global-data maps are created without BTF types (their
 * value type is a DATASEC), as libbpf does.
 */
export function mapCreateRequests(t: PrepareTarget, p: PreparedLoad, fds: Pick<LoadFds, 'btf' | 'module'>): MapCreateRequest[] {
  const out: MapCreateRequest[] = [];
  for (const map of t.maps.values()) {
    if (!map.autocreate) continue;
    // A resized data section is created at the object's size (data-resize.ts).
    out.push({ name: map.name, map, attr: { ...plainMapAttr(map.spec, fds.btf, p.features.datasec), valueSize: map.valueSize } });
  }
  for (const [name, plan] of p.plans) {
    const map = t.structOps.get(name)!;
    out.push({ name, map, attr: structOpsMapAttr(map, plan, fds) });
  }
  return out;
}

/**
 * Map types created without BTF key/value types even when the definition names them, as
 * libbpf does (bpf_object__create_map): the kernel has no BTF check for their values, and
 * some refuse BTF ids. The spec keeps the ids for typed user-space access.
 */
const NO_BTF_TYPES = new Set<number>([
  BpfMapType.PERF_EVENT_ARRAY, BpfMapType.CGROUP_ARRAY, BpfMapType.STACK_TRACE, BpfMapType.ARRAY_OF_MAPS,
  BpfMapType.HASH_OF_MAPS, BpfMapType.DEVMAP, BpfMapType.DEVMAP_HASH, BpfMapType.CPUMAP, BpfMapType.XSKMAP,
  BpfMapType.SOCKMAP, BpfMapType.SOCKHASH, BpfMapType.QUEUE, BpfMapType.STACK, BpfMapType.ARENA,
]);

/**
 * BTF-defined, global-data and `.kconfig` maps. `innerMapFd` is the template for a
 * map-in-map (created from its `__array(values, ...)` definition just before).
 */
export function plainMapAttr(spec: MapSpec, btfFd: FdLike, datasec = true, innerMapFd?: number): MapCreateAttr {
  // Global data keys carry no BTF type; BTF-defined maps give both ids (sk_storage needs them).
  const withBtf = spec.btfValueTypeId !== 0 && (datasec || spec.kind === 'user') && !NO_BTF_TYPES.has(spec.type);
  return {
    innerMapFd,
    mapType: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    mapFlags: spec.flags,
    numaNode: spec.numaNode,
    mapName: spec.kernelName,
    mapExtra: spec.mapExtra,
    btfFd: withBtf ? btfFd : undefined,
    btfKeyTypeId: withBtf ? spec.btfKeyTypeId : 0,
    btfValueTypeId: withBtf ? spec.btfValueTypeId : 0,
  };
}

/**
 * A BPF_MAP_TYPE_STRUCT_OPS map: value = the kernel's `bpf_struct_ops_<T>`, BPF_F_LINK for
 * `.struct_ops.link`, and for a module's type BPF_F_VTYPE_BTF_OBJ_FD with the module's BTF fd.
 */
export function structOpsMapAttr(
  map: StructOpsMap, plan: StructOpsPlan, fds: Pick<LoadFds, 'btf' | 'module'>,
): MapCreateAttr {
  const k = plan.kernel;
  return {
    mapType: BpfMapType.STRUCT_OPS,
    keySize: 4,
    valueSize: k.valueSize,
    maxEntries: 1,
    mapFlags: (map.isLink ? BPF_F_LINK : 0) | (k.module ? BPF_F_VTYPE_BTF_OBJ_FD : 0),
    mapName: map.kernelName,
    // The object BTF is mandatory here (kernel BTF would be EACCES); the value id is the kernel's.
    btfFd: fds.btf,
    btfVmlinuxValueTypeId: k.valueTypeId,
    valueTypeBtfObjFd: k.module ? fds.module(k.module) : undefined,
  };
}

/** One BPF_PROG_LOAD, in the order of PreparedLoad.programs. */
export interface ProgLoadRequest {
  program: ProgramWithSubprograms;
  attr: ProgLoadAttr;
}

/**
 * Applies the fd fix-ups to every program (map fds, kfunc ids and fd_array slots;
 * done once: the instructions are changed in place) and returns its PROG_LOAD attrs.
 * Without kernel FUNC support no func_info/line_info (nor prog BTF) is sent, as libbpf does.
 */
export function progLoadRequests(t: PrepareTarget, p: PreparedLoad, fds: LoadFds): ProgLoadRequest[] {
  const { spec } = t;
  const fdArray = kfuncFdArray(p.kfuncModules, fds.module);
  const withBtfExt = p.features.func;
  return p.programs.map((l) => {
    applyFixups(l, {
      object: p.object, mapFd: fds.map, externs: spec.externs, ksyms: p.ksyms,
      moduleSlot: (m) => p.kfuncModules.indexOf(m) + 1,
    });
    const at = p.attach.get(l.spec.name);
    const attr: ProgLoadAttr = {
      progType: l.spec.progType,
      insns: l.insns,
      license: spec.license,
      progFlags: l.spec.progFlags,
      progName: kernelProgName(l.spec.name),
      expectedAttachType: at ? at.expectedAttachType : l.spec.expectedAttachType,
      progBtfFd: withBtfExt ? fds.btf : undefined,
      funcInfo: withBtfExt && l.funcInfoCount > 0 ? l.funcInfo : undefined,
      funcInfoRecSize: 8,
      funcInfoCnt: withBtfExt ? l.funcInfoCount : 0,
      lineInfo: withBtfExt && l.lineInfoCount > 0 ? l.lineInfo : undefined,
      lineInfoRecSize: 16,
      lineInfoCnt: withBtfExt ? l.lineInfoCount : 0,
      attachBtfId: at?.attachBtfId ?? 0,
      attachBtfObjFd: at?.module ? fds.module(at.module) : undefined,
      fdArray,
      kernVersion: spec.kernVersion,
    };
    return { program: l, attr };
  });
}

/** fd_array for module kfuncs: slot 0 unused (off 0 means vmlinux), module i at slot i + 1. */
function kfuncFdArray(modules: string[], moduleFd: (name: string) => number): Buffer | undefined {
  if (modules.length === 0) return undefined;
  const fdArray = Buffer.alloc((modules.length + 1) * 4);
  modules.forEach((m, i) => fdArray.writeInt32LE(moduleFd(m), (i + 1) * 4));
  return fdArray;
}
