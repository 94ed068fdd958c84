// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_PROG_LOAD, sync and on the libuv pool, with the verifier-log retry. */
import { BpfError, isBpfError } from '../errors';
import type { AttrLayout, EncodedAttr, FdLike } from './attr';
import { encodeAttr, fd, getU32, objName, ptr, str, u32 } from './attr';
import { INSN_SIZE } from '../asm';
import { BPF_ATTR, BPF_FUNC_INFO, BPF_LINE_INFO } from './abi.generated';
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

const F = BPF_ATTR.prog_load.fields;
// Buffer indexes match native/commands.cc: insns, license, log, func_info, line_info, fd_array.
const layout: AttrLayout<ProgLoadWire> = {
  size: BPF_ATTR.prog_load.size,
  fields: {
    progType: u32(F.prog_type),
    insnCnt: u32(F.insn_cnt),
    insns: ptr(F.insns, 0),
    license: str(F.license, 1),
    logLevel: u32(F.log_level),
    logSize: u32(F.log_size),
    logBuf: ptr(F.log_buf, 2),
    kernVersion: u32(F.kern_version),
    progFlags: u32(F.prog_flags),
    progName: objName(F.prog_name),
    expectedAttachType: u32(F.expected_attach_type),
    progBtfFd: fd(F.prog_btf_fd),
    funcInfoRecSize: u32(F.func_info_rec_size),
    funcInfo: ptr(F.func_info, 3),
    funcInfoCnt: u32(F.func_info_cnt),
    lineInfoRecSize: u32(F.line_info_rec_size),
    lineInfo: ptr(F.line_info, 4),
    lineInfoCnt: u32(F.line_info_cnt),
    attachBtfId: u32(F.attach_btf_id),
    attachBtfObjFd: fd(F.attach_btf_obj_fd),
    fdArray: ptr(F.fd_array, 5),
    logTrueSize: u32(F.log_true_size),
  },
};

const FUNC_INFO_REC_SIZE = BPF_FUNC_INFO.size;
const LINE_INFO_REC_SIZE = BPF_LINE_INFO.size;

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
 * the PROG_LOAD struct of union bpf_attr (BPF_ATTR.prog_load) with pointer fields left zero,
 * plus the Buffers the addon puts there, indexed as native/commands.cc fills them:
 * 0 insns, 1 license, 2 log_buf (null: no log), 3 func_info, 4 line_info, 5 fd_array.
 * For load plans and tests; no syscall.
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
