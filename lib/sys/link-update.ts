// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_LINK_UPDATE. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BPF_F_REPLACE, BpfCmd } from './constants';
import { sysBpf } from './native';

interface LinkUpdateAttr {
  linkFd: FdLike;
  /** new_prog_fd / new_map_fd. */
  newFd: FdLike;
  flags?: number;
  /** old_prog_fd / old_map_fd (with BPF_F_REPLACE). */
  oldFd?: FdLike;
}

const layout: AttrLayout<LinkUpdateAttr> = {
  size: BPF_ATTR.link_update.size,
  fields: {
    linkFd: fd(BPF_ATTR.link_update.fields.link_fd),
    newFd: fd(BPF_ATTR.link_update.fields.new_prog_fd),
    flags: u32(BPF_ATTR.link_update.fields.flags),
    oldFd: fd(BPF_ATTR.link_update.fields.old_prog_fd),
  },
};

/**
 * Points a link at a new program, or (struct_ops) a new map whose value is already set.
 * Passing `oldFd` adds {@link BPF_F_REPLACE}: the update only happens if the link still
 * points at `oldFd`.
 * @throws {BpfError} command BPF_LINK_UPDATE (EINVAL for a different struct_ops type or,
 *   for TCP CC, a different name; EPERM when oldFd does not match).
 */
export function linkUpdate(link: FdLike, newFd: FdLike, opts: { oldFd?: FdLike; flags?: number } = {}): void {
  const flags = (opts.flags ?? 0) | (opts.oldFd !== undefined ? BPF_F_REPLACE : 0);
  const attr: LinkUpdateAttr = { linkFd: link, newFd, flags, oldFd: opts.oldFd };
  sysBpf(BpfCmd.LINK_UPDATE, encodeAttr(BpfCmd.LINK_UPDATE, layout, attr));
}
