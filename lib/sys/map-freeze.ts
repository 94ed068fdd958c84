// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_MAP_FREEZE. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

const layout: AttrLayout<{ mapFd: FdLike }> = {
  size: BPF_ATTR.map_elem.size,
  fields: { mapFd: fd(BPF_ATTR.map_elem.fields.map_fd) },
};

/**
 * Makes a map read-only for user space (libbpf freezes `.rodata` and `.kconfig`).
 * @throws {BpfError} code ENOTSUPP for struct_ops maps, EBUSY when writable mmaps exist.
 */
export function mapFreeze(map: FdLike): void {
  sysBpf(BpfCmd.MAP_FREEZE, encodeAttr(BpfCmd.MAP_FREEZE, layout, { mapFd: map }));
}
