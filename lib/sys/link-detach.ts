// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_LINK_DETACH. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

const layout: AttrLayout<{ linkFd: FdLike }> = {
  size: BPF_ATTR.link_detach.size,
  fields: { linkFd: fd(BPF_ATTR.link_detach.fields.link_fd) },
};

/**
 * Detaches a link while its fd stays open (struct_ops: unregisters; the link then
 * reports map id 0).
 * @throws {BpfError} command BPF_LINK_DETACH.
 */
export function linkDetach(link: FdLike): void {
  sysBpf(BpfCmd.LINK_DETACH, encodeAttr(BpfCmd.LINK_DETACH, layout, { linkFd: link }));
}
