// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID: open an object by its id. */
import type { AttrLayout } from './attr';
import { encodeAttr, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf } from './native';

interface FdByIdAttr {
  id: number;
  openFlags?: number;
}

const layout: AttrLayout<FdByIdAttr> = {
  size: BPF_ATTR.get_id.size,
  fields: {
    id: u32(BPF_ATTR.get_id.fields.start_id),
    openFlags: u32(BPF_ATTR.get_id.fields.open_flags),
  },
};

function fdById(cmd: BpfCmd, id: number): Fd {
  return new Fd(sysBpf(cmd, encodeAttr(cmd, layout, { id })));
}

/**
 * Opens the program with this id.
 * @throws {BpfError} code ENOENT when no such program exists.
 */
export function progGetFdById(id: number): Fd {
  return fdById(BpfCmd.PROG_GET_FD_BY_ID, id);
}

/**
 * Opens the map with this id.
 * @throws {BpfError} code ENOENT when no such map exists.
 */
export function mapGetFdById(id: number): Fd {
  return fdById(BpfCmd.MAP_GET_FD_BY_ID, id);
}

/**
 * Opens the BTF object with this id.
 * @throws {BpfError} code ENOENT when no such BTF object exists.
 */
export function btfGetFdById(id: number): Fd {
  return fdById(BpfCmd.BTF_GET_FD_BY_ID, id);
}

/**
 * Opens the link with this id.
 * @throws {BpfError} code ENOENT when no such link exists.
 */
export function linkGetFdById(id: number): Fd {
  return fdById(BpfCmd.LINK_GET_FD_BY_ID, id);
}
