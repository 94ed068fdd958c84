// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_OBJ_PIN and BPF_OBJ_GET: pin an object in bpffs and open it again by path. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, str, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf } from './native';

interface PinAttr {
  pathname: string;
  bpfFd?: FdLike;
  fileFlags?: number;
}

const layout: AttrLayout<PinAttr> = {
  size: BPF_ATTR.obj.size,
  fields: {
    pathname: str(BPF_ATTR.obj.fields.pathname, 0),
    bpfFd: fd(BPF_ATTR.obj.fields.bpf_fd),
    fileFlags: u32(BPF_ATTR.obj.fields.file_flags),
  },
};

/**
 * Pins `fd` at `path` (inside a bpffs mount such as /sys/fs/bpf). Remove the pin with
 * unlink.
 * @throws {BpfError} command BPF_OBJ_PIN (EEXIST if the path exists, EPERM outside bpffs).
 */
export function objPin(fd: FdLike, path: string): void {
  sysBpf(BpfCmd.OBJ_PIN, encodeAttr(BpfCmd.OBJ_PIN, layout, { pathname: path, bpfFd: fd }));
}

/**
 * Opens the object pinned at `path`.
 * @param flags BPF_F_RDONLY (0x8) / BPF_F_WRONLY (0x10) for maps.
 * @throws {BpfError} command BPF_OBJ_GET (ENOENT when nothing is pinned there).
 */
export function objGet(path: string, flags = 0): Fd {
  return new Fd(sysBpf(BpfCmd.OBJ_GET, encodeAttr(BpfCmd.OBJ_GET, layout, { pathname: path, fileFlags: flags })));
}
