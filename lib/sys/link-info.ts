// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_link_info decoding (BPF_OBJ_GET_INFO_BY_FD on a link fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields } from './attr';
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

// sizeof(struct bpf_link_info) in Linux 6.18.
const LINK_INFO_SIZE = 64;

const table: OutTable<Omit<LinkInfo, 'structOpsMapId'>> = {
  type: { offset: 0, kind: 'u32' },
  id: { offset: 4, kind: 'u32' },
  progId: { offset: 8, kind: 'u32' },
};
// The per-type union starts at 16; struct_ops holds just map_id.
const structOpsTable: OutTable<{ structOpsMapId: number }> = {
  structOpsMapId: { offset: 16, kind: 'u32' },
};

/**
 * Reads a link's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function linkGetInfo(link: FdLike): LinkInfo {
  const info = Buffer.alloc(LINK_INFO_SIZE);
  objGetInfo(link, info);
  const base: LinkInfo = decodeFields(table, info);
  if (base.type !== BpfLinkType.STRUCT_OPS) return base;
  return { ...base, ...decodeFields(structOpsTable, info) };
}
