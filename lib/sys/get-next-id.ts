// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID: walk the ids of all objects of a kind. */
import { isBpfError } from '../errors';
import type { AttrLayout } from './attr';
import { encodeAttr, getU32, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface NextIdAttr {
  startId: number;
  /** Output. */
  nextId?: number;
}

const layout: AttrLayout<NextIdAttr> = {
  size: BPF_ATTR.get_id.size,
  fields: {
    startId: u32(BPF_ATTR.get_id.fields.start_id),
    nextId: u32(BPF_ATTR.get_id.fields.next_id),
  },
};

function nextId(cmd: BpfCmd, start: number): number | null {
  const enc = encodeAttr(cmd, layout, { startId: start });
  try {
    sysBpf(cmd, enc);
  } catch (e) {
    // ENOENT: no object with an id above `start`.
    if (isBpfError(e) && e.code === 'ENOENT') return null;
    throw e;
  }
  return getU32(enc.attr, layout.fields.nextId.offset);
}

/**
 * The smallest program id above `start` (0 for the first), or null at the end.
 * @throws {BpfError} command BPF_PROG_GET_NEXT_ID (EPERM without CAP_SYS_ADMIN).
 */
export function progGetNextId(start: number): number | null {
  return nextId(BpfCmd.PROG_GET_NEXT_ID, start);
}

/**
 * The smallest map id above `start`, or null at the end.
 * @throws {BpfError} command BPF_MAP_GET_NEXT_ID.
 */
export function mapGetNextId(start: number): number | null {
  return nextId(BpfCmd.MAP_GET_NEXT_ID, start);
}

/**
 * The smallest BTF object id above `start`, or null at the end.
 * @throws {BpfError} command BPF_BTF_GET_NEXT_ID.
 */
export function btfGetNextId(start: number): number | null {
  return nextId(BpfCmd.BTF_GET_NEXT_ID, start);
}

/**
 * The smallest link id above `start`, or null at the end.
 * @throws {BpfError} command BPF_LINK_GET_NEXT_ID.
 */
export function linkGetNextId(start: number): number | null {
  return nextId(BpfCmd.LINK_GET_NEXT_ID, start);
}
