// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_map_info decoding (BPF_OBJ_GET_INFO_BY_FD on a map fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields } from './attr';
import { objGetInfo } from './obj-info';

/** What the kernel reports about a map. */
export interface MapInfo {
  /** {@link BpfMapType} value. */
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  name: string;
  /** struct_ops: id of `bpf_struct_ops_<T>` in vmlinux/module BTF. */
  btfVmlinuxValueTypeId: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** struct_ops: id of the BTF object (vmlinux or module) holding the value type (6.9+). */
  btfVmlinuxId: number;
  mapExtra: bigint;
}

// sizeof(struct bpf_map_info) in Linux 6.18 (ends with hash@88, hash_size@96).
const MAP_INFO_SIZE = 104;

const table: OutTable<MapInfo> = {
  type: { offset: 0, kind: 'u32' },
  id: { offset: 4, kind: 'u32' },
  keySize: { offset: 8, kind: 'u32' },
  valueSize: { offset: 12, kind: 'u32' },
  maxEntries: { offset: 16, kind: 'u32' },
  mapFlags: { offset: 20, kind: 'u32' },
  name: { offset: 24, kind: 'objName', size: 16 },
  btfVmlinuxValueTypeId: { offset: 44, kind: 'u32' },
  btfId: { offset: 64, kind: 'u32' },
  btfKeyTypeId: { offset: 68, kind: 'u32' },
  btfValueTypeId: { offset: 72, kind: 'u32' },
  btfVmlinuxId: { offset: 76, kind: 'u32' },
  mapExtra: { offset: 80, kind: 'u64' },
};

/**
 * Reads a map's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function mapGetInfo(map: FdLike): MapInfo {
  const info = Buffer.alloc(MAP_INFO_SIZE);
  objGetInfo(map, info);
  return decodeFields(table, info);
}
