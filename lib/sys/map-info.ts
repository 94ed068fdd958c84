// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_map_info decoding (BPF_OBJ_GET_INFO_BY_FD on a map fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields, outName, outU32, outU64 } from './attr';
import { BPF_MAP_INFO } from './abi.generated';
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

const F = BPF_MAP_INFO.fields;
const table: OutTable<MapInfo> = {
  type: outU32(F.type),
  id: outU32(F.id),
  keySize: outU32(F.key_size),
  valueSize: outU32(F.value_size),
  maxEntries: outU32(F.max_entries),
  mapFlags: outU32(F.map_flags),
  name: outName(F.name),
  btfVmlinuxValueTypeId: outU32(F.btf_vmlinux_value_type_id),
  btfId: outU32(F.btf_id),
  btfKeyTypeId: outU32(F.btf_key_type_id),
  btfValueTypeId: outU32(F.btf_value_type_id),
  btfVmlinuxId: outU32(F.btf_vmlinux_id),
  mapExtra: outU64(F.map_extra),
};

/**
 * Reads a map's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function mapGetInfo(map: FdLike): MapInfo {
  const info = Buffer.alloc(BPF_MAP_INFO.size);
  objGetInfo(map, info);
  return decodeFields(table, info);
}
