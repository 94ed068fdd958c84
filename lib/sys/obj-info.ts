// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BPF_OBJ_GET_INFO_BY_FD, the raw call behind mapGetInfo/progGetInfo/linkGetInfo/btfGetInfo.
 * The addon zeroes the info Buffer first, so no pointer inside a bpf_*_info struct reaches
 * the kernel; only BTF data/name Buffers can be attached (for BTF fds).
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, getU32 } from './attr';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface InfoAttr {
  bpfFd: FdLike;
  infoLen: number;
  info: Buffer;
  /** bpf_btf_info.btf target (BTF fds only); native fills the pointer and btf_size. */
  btfData?: Buffer;
  /** bpf_btf_info.name target (BTF fds only); native fills the pointer and name_len. */
  btfName?: Buffer;
}

// info is buffers[0]; the BTF data and name are buffers[1] and [2] (native/obj_info.cc).
const layout: AttrLayout<InfoAttr> = {
  size: 16,
  fields: {
    bpfFd: { offset: 0, kind: 'fd' },
    infoLen: { offset: 4, kind: 'u32' },
    info: { offset: 8, kind: 'ptr', buffer: 0 },
    btfData: { offset: 0, kind: 'ptr', buffer: 1 },
    btfName: { offset: 0, kind: 'ptr', buffer: 2 },
  },
};

/** Extra targets for a BTF object's info call. */
export interface BtfInfoTargets {
  data?: Buffer;
  name?: Buffer;
}

/**
 * Fills `info` (a zeroed bpf_*_info of the size this library knows) for `fd`.
 * @returns the number of bytes the kernel filled (its info_len).
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD (EBADF for a non-BPF fd; ENOSPC for a
 *   BTF name Buffer that is too short).
 */
export function objGetInfo(fd: FdLike, info: Buffer, targets: BtfInfoTargets = {}): number {
  const enc = encodeAttr(BpfCmd.OBJ_GET_INFO_BY_FD, layout, {
    bpfFd: fd,
    infoLen: info.length,
    info,
    btfData: targets.data,
    btfName: targets.name,
  });
  // The table's btfData/btfName entries are Buffer slots only: native places them inside
  // the info struct, so their offset here is never written.
  sysBpf(BpfCmd.OBJ_GET_INFO_BY_FD, enc);
  return getU32(enc.attr, layout.fields.infoLen.offset);
}
