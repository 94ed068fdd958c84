// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_MAP_CREATE. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, objName, u32, u64 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf } from './native';

/** Attributes of a new map (union bpf_attr, anonymous MAP_CREATE struct). */
export interface MapCreateAttr {
  /** {@link BpfMapType} value. */
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* map flags (e.g. {@link BPF_F_LINK} for struct_ops link maps). */
  mapFlags?: number;
  /** Inner map template for map-in-map types. */
  innerMapFd?: number;
  numaNode?: number;
  /** Map name; cut to 15 bytes like libbpf. */
  mapName?: string;
  mapIfindex?: number;
  /** Object BTF fd (mandatory for struct_ops maps, must not be kernel BTF). */
  btfFd?: FdLike;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** For struct_ops: id of `struct bpf_struct_ops_<T>` in vmlinux or module BTF. */
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
  /** Module BTF fd holding the struct_ops value type (with {@link BPF_F_VTYPE_BTF_OBJ_FD}). */
  valueTypeBtfObjFd?: FdLike;
}

// map_token_fd and the 6.18 excl_prog_hash fields are not used (they stay zero).
const F = BPF_ATTR.map_create.fields;
const layout: AttrLayout<MapCreateAttr> = {
  size: BPF_ATTR.map_create.size,
  fields: {
    mapType: u32(F.map_type),
    keySize: u32(F.key_size),
    valueSize: u32(F.value_size),
    maxEntries: u32(F.max_entries),
    mapFlags: u32(F.map_flags),
    innerMapFd: fd(F.inner_map_fd),
    numaNode: u32(F.numa_node),
    mapName: objName(F.map_name),
    mapIfindex: u32(F.map_ifindex),
    btfFd: fd(F.btf_fd),
    btfKeyTypeId: u32(F.btf_key_type_id),
    btfValueTypeId: u32(F.btf_value_type_id),
    btfVmlinuxValueTypeId: u32(F.btf_vmlinux_value_type_id),
    mapExtra: u64(F.map_extra),
    valueTypeBtfObjFd: fd(F.value_type_btf_obj_fd),
  },
};

/**
 * The union bpf_attr bytes {@link mapCreate} passes to BPF_MAP_CREATE for `attr` (76 bytes;
 * MAP_CREATE has no pointer fields). For load plans and tests; no syscall.
 * @throws {BpfError} EINVAL naming the field when a value has the wrong type or range.
 * @example
 * const bytes = encodeMapCreateAttr({ mapType: BpfMapType.STRUCT_OPS, keySize: 4, valueSize: 256, maxEntries: 1 });
 */
export function encodeMapCreateAttr(attr: MapCreateAttr): Buffer {
  return encodeAttr(BpfCmd.MAP_CREATE, layout, attr).attr;
}

/**
 * Creates a map.
 * @returns the owned map fd.
 * @throws {BpfError} command BPF_MAP_CREATE (EPERM without CAP_BPF, EINVAL for bad attributes).
 * @example
 * const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
 */
export function mapCreate(attr: MapCreateAttr): Fd {
  return new Fd(sysBpf(BpfCmd.MAP_CREATE, encodeAttr(BpfCmd.MAP_CREATE, layout, attr)));
}
