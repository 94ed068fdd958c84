// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_prog_info decoding (BPF_OBJ_GET_INFO_BY_FD on a program fd). */
import type { FdLike, OutTable } from './attr';
import { decodeFields, outHex, outName, outU32, outU64 } from './attr';
import { BPF_PROG_INFO } from './abi.generated';
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

const F = BPF_PROG_INFO.fields;
const table: OutTable<ProgInfo> = {
  type: outU32(F.type),
  id: outU32(F.id),
  tag: outHex(F.tag),
  jitedProgLen: outU32(F.jited_prog_len),
  xlatedProgLen: outU32(F.xlated_prog_len),
  loadTime: outU64(F.load_time),
  createdByUid: outU32(F.created_by_uid),
  name: outName(F.name),
  btfId: outU32(F.btf_id),
  runTimeNs: outU64(F.run_time_ns),
  runCnt: outU64(F.run_cnt),
  verifiedInsns: outU32(F.verified_insns),
  attachBtfObjId: outU32(F.attach_btf_obj_id),
  attachBtfId: outU32(F.attach_btf_id),
};

/**
 * Reads a program's info.
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function progGetInfo(prog: FdLike): ProgInfo {
  const info = Buffer.alloc(BPF_PROG_INFO.size);
  objGetInfo(prog, info);
  return decodeFields(table, info);
}
