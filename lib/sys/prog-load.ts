// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_PROG_LOAD, sync and on the libuv pool, with the verifier-log retry. */
import { BpfError, isBpfError } from '../errors';
import type { AttrLayout, EncodedAttr, FdLike } from './attr';
import { encodeAttr, getU32 } from './attr';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf, sysBpfAsync } from './native';
import type { LoadAttempt, LogRequest } from './verifier-log';
import { loadWithLog, loadWithLogAsync } from './verifier-log';

/** A program to load (union bpf_attr, anonymous PROG_LOAD struct). */
export interface ProgLoadAttr {
  /** {@link BpfProgType} value. */
  progType: number;
  /** Instructions, 8 bytes each. */
  insns: Buffer;
  /** License string; struct_ops programs need a GPL-compatible one. */
  license: string;
  /** BPF_F_* program flags ({@link BPF_F_SLEEPABLE}). */
  progFlags?: number;
  /** Program name; cut to 15 bytes like libbpf. */
  progName?: string;
  /** For struct_ops: the kernel member index. */
  expectedAttachType?: number;
  /** Object BTF fd that func_info/line_info refer to. */
  progBtfFd?: FdLike;
  /** bpf_func_info records. */
  funcInfo?: Buffer;
  /** Default 8. */
  funcInfoRecSize?: number;
  /** Default funcInfo.length / funcInfoRecSize. */
  funcInfoCnt?: number;
  /** bpf_line_info records. */
  lineInfo?: Buffer;
  /** Default 16. */
  lineInfoRecSize?: number;
  /** Default lineInfo.length / lineInfoRecSize. */
  lineInfoCnt?: number;
  /** For struct_ops: the kernel `struct T` type id. */
  attachBtfId?: number;
  /** Module BTF fd when attachBtfId is in a module. */
  attachBtfObjFd?: FdLike;
  /** u32 fds indexed by kfunc calls (insn.off) and BPF_PSEUDO_MAP_IDX loads. */
  fdArray?: Buffer;
  kernVersion?: number;
  /** Log level for the retry after a failure (default 1). */
  logLevel?: number;
}

interface ProgLoadWire {
  progType: number;
  insnCnt: number;
  insns: Buffer;
  license: string;
  logLevel?: number;
  logSize?: number;
  logBuf?: Buffer;
  kernVersion?: number;
  progFlags?: number;
  progName?: string;
  expectedAttachType?: number;
  progBtfFd?: FdLike;
  funcInfoRecSize?: number;
  funcInfo?: Buffer;
  funcInfoCnt?: number;
  lineInfoRecSize?: number;
  lineInfo?: Buffer;
  lineInfoCnt?: number;
  attachBtfId?: number;
  attachBtfObjFd?: FdLike;
  fdArray?: Buffer;
  /** Output: bytes the full log needs (6.4+). */
  logTrueSize?: number;
}

// Buffer indexes match native/commands.cc: insns, license, log, func_info, line_info, fd_array.
const layout: AttrLayout<ProgLoadWire> = {
  size: 144,
  fields: {
    progType: { offset: 0, kind: 'u32' },
    insnCnt: { offset: 4, kind: 'u32' },
    insns: { offset: 8, kind: 'ptr', buffer: 0 },
    license: { offset: 16, kind: 'str', buffer: 1 },
    logLevel: { offset: 24, kind: 'u32' },
    logSize: { offset: 28, kind: 'u32' },
    logBuf: { offset: 32, kind: 'ptr', buffer: 2 },
    kernVersion: { offset: 40, kind: 'u32' },
    progFlags: { offset: 44, kind: 'u32' },
    progName: { offset: 48, kind: 'objName' },
    expectedAttachType: { offset: 68, kind: 'u32' },
    progBtfFd: { offset: 72, kind: 'fd' },
    funcInfoRecSize: { offset: 76, kind: 'u32' },
    funcInfo: { offset: 80, kind: 'ptr', buffer: 3 },
    funcInfoCnt: { offset: 88, kind: 'u32' },
    lineInfoRecSize: { offset: 92, kind: 'u32' },
    lineInfo: { offset: 96, kind: 'ptr', buffer: 4 },
    lineInfoCnt: { offset: 104, kind: 'u32' },
    attachBtfId: { offset: 108, kind: 'u32' },
    attachBtfObjFd: { offset: 112, kind: 'fd' },
    fdArray: { offset: 120, kind: 'ptr', buffer: 5 },
    logTrueSize: { offset: 140, kind: 'u32' },
  },
};

const INSN_SIZE = 8;
const FUNC_INFO_REC_SIZE = 8;
const LINE_INFO_REC_SIZE = 16;

function encode(attr: ProgLoadAttr, log: LogRequest | null): EncodedAttr {
  if (!Buffer.isBuffer(attr.insns) || attr.insns.length % INSN_SIZE !== 0) {
    throw new BpfError(`BPF_PROG_LOAD: insns must be a Buffer of 8-byte instructions`, {
      code: 'EINVAL',
      command: 'BPF_PROG_LOAD',
    });
  }
  // logLevel only applies to the retry; the first attempt runs without a log.
  const { logLevel: _retryLevel, ...rest } = attr;
  const funcRec = attr.funcInfoRecSize ?? FUNC_INFO_REC_SIZE;
  const lineRec = attr.lineInfoRecSize ?? LINE_INFO_REC_SIZE;
  const wire: ProgLoadWire = {
    ...rest,
    insnCnt: attr.insns.length / INSN_SIZE,
    funcInfoRecSize: attr.funcInfo ? funcRec : undefined,
    funcInfoCnt: attr.funcInfo ? (attr.funcInfoCnt ?? Math.floor(attr.funcInfo.length / funcRec)) : undefined,
    lineInfoRecSize: attr.lineInfo ? lineRec : undefined,
    lineInfoCnt: attr.lineInfo ? (attr.lineInfoCnt ?? Math.floor(attr.lineInfo.length / lineRec)) : undefined,
    logLevel: log?.level,
    logSize: log?.buf.length,
    logBuf: log?.buf,
  };
  return encodeAttr(BpfCmd.PROG_LOAD, layout, wire);
}

/**
 * The attr {@link progLoad} passes to BPF_PROG_LOAD on its first attempt (no verifier log):
 * 144 bytes of union bpf_attr with pointer fields left zero, plus the Buffers the addon puts
 * there, indexed as native/commands.cc fills them: 0 insns@8, 1 license@16, 2 log_buf@32
 * (null: no log), 3 func_info@80, 4 line_info@96, 5 fd_array@120. For load plans and tests;
 * no syscall.
 * @throws {BpfError} EINVAL for insns that are not whole instructions or a bad field value.
 */
export function encodeProgLoadAttr(attr: ProgLoadAttr): EncodedAttr {
  return encode(attr, null);
}

function failed(e: unknown, enc: EncodedAttr): LoadAttempt {
  if (!isBpfError(e)) throw e;
  return { error: e, trueSize: getU32(enc.attr, layout.fields.logTrueSize.offset) };
}

/**
 * Loads a program. The first attempt runs without a verifier log; on failure it is
 * retried with log level `attr.logLevel ?? 1` and a log buffer grown until the log fits.
 * @returns the owned program fd.
 * @throws {BpfError} command BPF_PROG_LOAD with `verifierLog` and a hint; the message
 *   ends with the last log lines.
 * @example
 * const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, license: 'GPL' });
 */
export function progLoad(attr: ProgLoadAttr): Fd {
  const fd = loadWithLog(BpfCmd.PROG_LOAD, attr.logLevel ?? 1, (log) => {
    const enc = encode(attr, log);
    try {
      return { fd: sysBpf(BpfCmd.PROG_LOAD, enc), trueSize: 0 };
    } catch (e) {
      return failed(e, enc);
    }
  });
  return new Fd(fd);
}

/**
 * {@link progLoad} on the libuv thread pool, so several programs verify concurrently.
 * @throws {BpfError} (as a rejection) like {@link progLoad}.
 */
export async function progLoadAsync(attr: ProgLoadAttr): Promise<Fd> {
  const fd = await loadWithLogAsync(BpfCmd.PROG_LOAD, attr.logLevel ?? 1, async (log) => {
    const enc = encode(attr, log);
    try {
      return { fd: await sysBpfAsync(BpfCmd.PROG_LOAD, enc), trueSize: 0 };
    } catch (e) {
      return failed(e, enc);
    }
  });
  return new Fd(fd);
}
