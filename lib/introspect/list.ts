// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';
import { Fd, type MapInfo } from '../sys';
import { decodeCommon, MapValueType, readStructOpsValue, StructOpsState, ValueTypeResolver } from './kernel-value';
import { forEachStructOpsMap, structOpsLinksByMap } from './objects';

/** One struct_ops map in the running kernel, as {@link listStructOps} reports it. */
export interface StructOpsInfo {
  /** Map id. */
  id: number;
  /** Map name (the object's variable name, at most 15 characters). */
  name: string;
  /** Kernel struct it implements, e.g. `'tcp_congestion_ops'` (`''` when no loaded BTF has it). */
  kernelType: string;
  /** `'vmlinux'` or the module whose BTF defines the type. */
  module: string;
  /**
   * INIT: created, never registered; INUSE: a legacy map registered; READY: a link map's
   * value is set (registered while `linkIds` is not empty); TOBEFREE: unregistered.
   */
  state: StructOpsState;
  /** The kernel's reference count of the registration (0 unless registered). */
  refcnt: number;
  /** Ids of the BPF links (type STRUCT_OPS) that registered this map. */
  linkIds: number[];
  /** sizeof(struct bpf_struct_ops_<T>). */
  valueSize: number;
  /** Id of `struct bpf_struct_ops_<T>` in the kernel BTF. */
  btfVmlinuxValueTypeId: number;
}

/** A struct_ops map found while walking the kernel, with what was read from it. */
export interface FoundStructOps {
  info: StructOpsInfo;
  mapInfo: MapInfo;
  valueType: MapValueType | undefined;
  /** The value as BPF_MAP_LOOKUP_ELEM returned it. */
  value: Buffer;
}

// BPF_OBJ_NAME_LEN (16) including the NUL.
const MAP_NAME_MAX = 15;

/** Which maps to report: all, one id, or every map with a name (cut to 15 characters like the kernel's). */
export type StructOpsFilter = { id?: number; name?: string };

/**
 * Lists the struct_ops maps in the system (every one, or those `filter` selects: one id,
 * or each map of a name), in id order, with kernel type, state, refcnt and links (what
 * `bpftool struct_ops show` prints, plus state and links).
 *
 * @throws {BpfError} EPERM without root/CAP_SYS_ADMIN (walking ids is privileged).
 * @example
 * for (const s of listStructOps()) console.log(s.id, s.name, s.kernelType, s.state, s.linkIds);
 * const renos = listStructOps({ name: 'reno' });
 */
export function listStructOps(filter: StructOpsFilter = {}): StructOpsInfo[] {
  return findStructOps(filter).map((f) => f.info);
}

/**
 * Walks the struct_ops maps matching `filter`, calling `visit` with each one's fd while it
 * is still open (dumpers resolve program ids then). Returns what was found, in id order.
 *
 * @throws {BpfError} EPERM without privileges.
 */
export function findStructOps(filter: StructOpsFilter, visit?: (found: FoundStructOps, fd: Fd) => void): FoundStructOps[] {
  const resolver = new ValueTypeResolver();
  let links: Map<number, number[]> | undefined;
  const found: FoundStructOps[] = [];
  forEachStructOpsMap((fd, mapInfo) => {
    if (filter.id !== undefined && mapInfo.id !== filter.id) return;
    // The kernel keeps 15 characters of a map name, so a longer variable name matches its cut.
    if (filter.name !== undefined && mapInfo.name !== filter.name.slice(0, MAP_NAME_MAX)) return;
    // Links are walked once, and only when some map matched.
    links ??= structOpsLinksByMap();
    const valueType = resolver.resolve(mapInfo);
    const value = readStructOpsValue(fd, mapInfo.valueSize);
    const { refcnt, state } = decodeCommon(value, valueType);
    const info: StructOpsInfo = {
      id: mapInfo.id,
      name: mapInfo.name,
      kernelType: valueType?.kernelType ?? '',
      module: valueType?.module ?? 'vmlinux',
      state,
      refcnt,
      linkIds: links.get(mapInfo.id) ?? [],
      valueSize: mapInfo.valueSize,
      btfVmlinuxValueTypeId: mapInfo.btfVmlinuxValueTypeId,
    };
    const entry = { info, mapInfo, valueType, value };
    visit?.(entry, fd);
    found.push(entry);
  });
  return found;
}

/** `'id 12'` or `'NAME'`, as error messages name what was looked for. */
export function describeTarget(idOrName: number | string): string {
  return typeof idOrName === 'number' ? `id ${idOrName}` : idOrName;
}

/** The error for a struct_ops map that does not exist. */
export function notFound(idOrName: number | string): BpfError {
  return new BpfError(`no struct_ops found for ${describeTarget(idOrName)}`, {
    code: 'ENOENT',
    ...(typeof idOrName === 'string' ? { map: idOrName } : {}),
    hint: 'list the registered struct_ops with `struct-ops show` (names are map names, at most 15 characters)',
  });
}
