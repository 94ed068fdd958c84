// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_link_info decoding (BPF_OBJ_GET_INFO_BY_FD on a link fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields, outU32 } from './attr';
import { BPF_LINK_INFO } from './abi.generated';
import { BpfLinkType } from './constants';
import { objGetInfo } from './obj-info';

/** What the kernel reports about a link. */
export interface LinkInfo {
  /** {@link BpfLinkType} value. */
  type: number;
  id: number;
  /** 0 for struct_ops links (they point at a map). */
  progId: number;
  /** For struct_ops links: the registered map's id (0 after LINK_DETACH). */
  structOpsMapId?: number;
}

const F = BPF_LINK_INFO.fields;
const table: OutTable<Omit<LinkInfo, 'structOpsMapId'>> = {
  type: outU32(F.type),
  id: outU32(F.id),
  progId: outU32(F.prog_id),
};
// The per-type union member for struct_ops links holds just map_id.
const structOpsTable: OutTable<{ structOpsMapId: number }> = {
  structOpsMapId: outU32(F['struct_ops.map_id']),
};

/**
 * Reads a link's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function linkGetInfo(link: FdLike): LinkInfo {
  const info = Buffer.alloc(BPF_LINK_INFO.size);
  objGetInfo(link, info);
  const base: LinkInfo = decodeFields(table, info);
  if (base.type !== BpfLinkType.STRUCT_OPS) return base;
  return { ...base, ...decodeFields(structOpsTable, info) };
}
