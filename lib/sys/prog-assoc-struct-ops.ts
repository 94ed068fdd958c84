/**
 * BPF_PROG_ASSOC_STRUCT_OPS (command 38, Linux 6.19+ / libbpf 1.7): ties a program that is
 * not itself a struct_ops program (a syscall, tracing or timer callback program of the
 * same object) to a struct_ops map, so kfuncs can find "their" struct_ops from it. Kernels
 * without the command answer EINVAL (6.18 does).
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr } from './attr';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

interface AssocAttr {
  mapFd: FdLike;
  progFd: FdLike;
  flags?: number;
}

const layout: AttrLayout<AssocAttr> = {
  size: 12,
  fields: {
    mapFd: { offset: 0, kind: 'fd' },
    progFd: { offset: 4, kind: 'fd' },
    flags: { offset: 8, kind: 'u32' },
  },
};

/** The attr bytes BPF_PROG_ASSOC_STRUCT_OPS receives. */
export function encodeProgAssocStructOpsAttr(prog: FdLike, map: FdLike, flags = 0) {
  return encodeAttr(BpfCmd.PROG_ASSOC_STRUCT_OPS, layout, { mapFd: map, progFd: prog, flags });
}

/**
 * Associates `prog` with the struct_ops map `map`.
 * @throws {BpfError} command BPF_PROG_ASSOC_STRUCT_OPS: EINVAL on kernels without the
 *   command, for a struct_ops program or a map that is not struct_ops; EBUSY when the
 *   program is already associated with another map.
 */
export function progAssocStructOps(prog: FdLike, map: FdLike, flags = 0): void {
  sysBpf(BpfCmd.PROG_ASSOC_STRUCT_OPS, encodeProgAssocStructOpsAttr(prog, map, flags));
}
