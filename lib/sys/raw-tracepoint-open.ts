/** BPF_RAW_TRACEPOINT_OPEN: attaches a raw_tp program to a raw tracepoint by name; returns a link fd. */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr } from './attr';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf } from './native';

interface RawTpAttr {
  /** Tracepoint name (C string in buffers[0]). */
  name: string;
  progFd: FdLike;
}

const layout: AttrLayout<RawTpAttr> = {
  size: 16,
  fields: {
    name: { offset: 0, kind: 'str', buffer: 0 },
    progFd: { offset: 8, kind: 'fd' },
  },
};

/** The attr bytes and name Buffer BPF_RAW_TRACEPOINT_OPEN receives. */
export function encodeRawTracepointOpenAttr(name: string, prog: FdLike) {
  return encodeAttr(BpfCmd.RAW_TRACEPOINT_OPEN, layout, { name, progFd: prog });
}

/**
 * Attaches `prog` (BPF_PROG_TYPE_RAW_TRACEPOINT) to the raw tracepoint `name`.
 * @returns the owned link fd (closing it detaches).
 * @throws {BpfError} command BPF_RAW_TRACEPOINT_OPEN: ENOENT for an unknown tracepoint.
 */
export function rawTracepointOpen(name: string, prog: FdLike): Fd {
  return new Fd(sysBpf(BpfCmd.RAW_TRACEPOINT_OPEN, encodeRawTracepointOpenAttr(name, prog)));
}
