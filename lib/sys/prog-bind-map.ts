// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_PROG_BIND_MAP. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr } from './attr';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface BindAttr {
  progFd: FdLike;
  mapFd: FdLike;
  flags?: number;
}

const layout: AttrLayout<BindAttr> = {
  size: 12,
  fields: {
    progFd: { offset: 0, kind: 'fd' },
    mapFd: { offset: 4, kind: 'fd' },
    flags: { offset: 8, kind: 'u32' },
  },
};

/**
 * Keeps `map` alive as long as `prog` (libbpf binds `.rodata` to every program).
 * @throws {BpfError} command BPF_PROG_BIND_MAP.
 */
export function progBindMap(prog: FdLike, map: FdLike, flags = 0): void {
  sysBpf(BpfCmd.PROG_BIND_MAP, encodeAttr(BpfCmd.PROG_BIND_MAP, layout, { progFd: prog, mapFd: map, flags }));
}
