// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_prog_info decoding (BPF_OBJ_GET_INFO_BY_FD on a program fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields } from './attr';
import { objGetInfo } from './obj-info';

/** What the kernel reports about a program (scalar fields only; no arrays). */
export interface ProgInfo {
  /** {@link BpfProgType} value. */
  type: number;
  id: number;
  /** 8-byte program tag as 16 hex digits. */
  tag: string;
  name: string;
  btfId: number;
  /** Nanoseconds since boot at load time. */
  loadTime: bigint;
  createdByUid: number;
  xlatedProgLen: number;
  jitedProgLen: number;
  verifiedInsns: number;
  attachBtfId: number;
  attachBtfObjId: number;
  /** Only counted while kernel.bpf_stats_enabled is 1. */
  runTimeNs: bigint;
  runCnt: bigint;
}

// sizeof(struct bpf_prog_info) in Linux 6.18.
const PROG_INFO_SIZE = 232;

const table: OutTable<ProgInfo> = {
  type: { offset: 0, kind: 'u32' },
  id: { offset: 4, kind: 'u32' },
  tag: { offset: 8, kind: 'hex', size: 8 },
  jitedProgLen: { offset: 16, kind: 'u32' },
  xlatedProgLen: { offset: 20, kind: 'u32' },
  loadTime: { offset: 40, kind: 'u64' },
  createdByUid: { offset: 48, kind: 'u32' },
  name: { offset: 64, kind: 'objName', size: 16 },
  btfId: { offset: 128, kind: 'u32' },
  runTimeNs: { offset: 192, kind: 'u64' },
  runCnt: { offset: 200, kind: 'u64' },
  verifiedInsns: { offset: 216, kind: 'u32' },
  attachBtfObjId: { offset: 220, kind: 'u32' },
  attachBtfId: { offset: 224, kind: 'u32' },
};

/**
 * Reads a program's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function progGetInfo(prog: FdLike): ProgInfo {
  const info = Buffer.alloc(PROG_INFO_SIZE);
  objGetInfo(prog, info);
  return decodeFields(table, info);
}
