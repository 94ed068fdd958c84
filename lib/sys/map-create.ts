// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_MAP_CREATE. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr } from './attr';
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

// Bytes 76.. (map_token_fd, 6.18 excl_prog_hash) are not used.
const layout: AttrLayout<MapCreateAttr> = {
  size: 76,
  fields: {
    mapType: { offset: 0, kind: 'u32' },
    keySize: { offset: 4, kind: 'u32' },
    valueSize: { offset: 8, kind: 'u32' },
    maxEntries: { offset: 12, kind: 'u32' },
    mapFlags: { offset: 16, kind: 'u32' },
    innerMapFd: { offset: 20, kind: 'fd' },
    numaNode: { offset: 24, kind: 'u32' },
    mapName: { offset: 28, kind: 'objName' },
    mapIfindex: { offset: 44, kind: 'u32' },
    btfFd: { offset: 48, kind: 'fd' },
    btfKeyTypeId: { offset: 52, kind: 'u32' },
    btfValueTypeId: { offset: 56, kind: 'u32' },
    btfVmlinuxValueTypeId: { offset: 60, kind: 'u32' },
    mapExtra: { offset: 64, kind: 'u64' },
    valueTypeBtfObjFd: { offset: 72, kind: 'fd' },
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
