// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_PROG_BIND_MAP. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface BindAttr {
  progFd: FdLike;
  mapFd: FdLike;
  flags?: number;
}

const layout: AttrLayout<BindAttr> = {
  size: BPF_ATTR.prog_bind_map.size,
  fields: {
    progFd: fd(BPF_ATTR.prog_bind_map.fields.prog_fd),
    mapFd: fd(BPF_ATTR.prog_bind_map.fields.map_fd),
    flags: u32(BPF_ATTR.prog_bind_map.fields.flags),
  },
};

/**
 * Keeps `map` alive as long as `prog` (libbpf binds `.rodata` to every program).
 * @throws {BpfError} command BPF_PROG_BIND_MAP.
 */
export function progBindMap(prog: FdLike, map: FdLike, flags = 0): void {
  sysBpf(BpfCmd.PROG_BIND_MAP, encodeAttr(BpfCmd.PROG_BIND_MAP, layout, { progFd: prog, mapFd: map, flags }));
}
