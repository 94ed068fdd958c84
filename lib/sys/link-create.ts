// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_LINK_CREATE (the first 16 bytes: enough for struct_ops, tracing and perf event links). */
import { BpfError } from '../errors';
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf } from './native';

/** A link to create: a program, or (for struct_ops) a map, attached to a target. */
export interface LinkCreateAttr {
  progFd?: FdLike;
  /** struct_ops map to register (same attr slot as progFd). */
  mapFd?: FdLike;
  targetFd?: number;
  /** {@link BpfAttachType} value ({@link BpfAttachType.STRUCT_OPS} for struct_ops). */
  attachType: number;
  flags?: number;
}

interface LinkCreateWire {
  /** prog_fd and map_fd share offset 0. */
  progOrMapFd: FdLike;
  targetFd?: number;
  attachType: number;
  flags?: number;
}

const F = BPF_ATTR.link_create.fields;
// The per-type tail after flags stays zero (native refuses anything else there).
const layout: AttrLayout<LinkCreateWire> = {
  size: BPF_ATTR.link_create.size,
  fields: {
    progOrMapFd: fd(F.prog_fd),
    targetFd: u32(F.target_fd),
    attachType: u32(F.attach_type),
    flags: u32(F.flags),
  },
};

/**
 * Creates a link. For struct_ops, pass `mapFd` and `attachType: BpfAttachType.STRUCT_OPS`:
 * this registers the map's value; closing the last link fd unregisters it.
 * @returns the owned link fd.
 * @throws {BpfError} command BPF_LINK_CREATE (EINVAL when neither or both of progFd/mapFd
 *   are given, or the map has no value yet; EEXIST for a duplicate TCP CC name).
 */
export function linkCreate(attr: LinkCreateAttr): Fd {
  const target = attr.progFd ?? attr.mapFd;
  if (target === undefined || (attr.progFd !== undefined && attr.mapFd !== undefined)) {
    throw new BpfError('BPF_LINK_CREATE: give exactly one of progFd and mapFd', {
      code: 'EINVAL',
      command: 'BPF_LINK_CREATE',
    });
  }
  const wire: LinkCreateWire = { progOrMapFd: target, targetFd: attr.targetFd, attachType: attr.attachType, flags: attr.flags };
  return new Fd(sysBpf(BpfCmd.LINK_CREATE, encodeAttr(BpfCmd.LINK_CREATE, layout, wire)));
}
