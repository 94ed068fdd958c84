// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BPF_OBJ_GET_INFO_BY_FD, the raw call behind mapGetInfo/progGetInfo/linkGetInfo/btfGetInfo.
 * The addon zeroes the info Buffer first, so no pointer inside a bpf_*_info struct reaches
 * the kernel; only BTF data/name Buffers can be attached (for BTF fds).
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, getU32, ptr, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface InfoAttr {
  bpfFd: FdLike;
  infoLen: number;
  info: Buffer;
}

// info is buffers[0]. The BTF data and name Buffers are buffers[1] and [2]: native points
// bpf_btf_info.btf/.name at them (native/obj_info.cc), so they have no attr member and
// are passed beside the encoded attr rather than through the table.
const layout: AttrLayout<InfoAttr> = {
  size: BPF_ATTR.info.size,
  fields: {
    bpfFd: fd(BPF_ATTR.info.fields.bpf_fd),
    infoLen: u32(BPF_ATTR.info.fields.info_len),
    info: ptr(BPF_ATTR.info.fields.info, 0),
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
export function objGetInfo(target: FdLike, info: Buffer, targets: BtfInfoTargets = {}): number {
  const enc = encodeAttr(BpfCmd.OBJ_GET_INFO_BY_FD, layout, { bpfFd: target, infoLen: info.length, info });
  const buffers = [enc.buffers[0] ?? null, targets.data ?? null, targets.name ?? null];
  while (buffers.length > 1 && buffers[buffers.length - 1] === null) buffers.pop();
  sysBpf(BpfCmd.OBJ_GET_INFO_BY_FD, { attr: enc.attr, buffers });
  return getU32(enc.attr, layout.fields.infoLen.offset);
}
