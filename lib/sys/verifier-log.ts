// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The verifier-log retry shared by BPF_PROG_LOAD and BPF_BTF_LOAD: load once without a
 * log (fast path), and on failure load again with a log buffer that grows until the
 * whole log fits, then report the error with the log attached.
 */
import { BpfError } from '../errors';
import { hintFor } from './syscall-error';

/** A log buffer request for one attempt. */
export interface LogRequest {
  level: number;
  buf: Buffer;
}

/** The outcome of one load attempt. */
export interface LoadAttempt {
  fd?: number;
  error?: BpfError;
  /** log_true_size the kernel reported (6.4+), 0 when unknown. */
  trueSize: number;
}

// Most rejections fit; bigger logs are retried at the size the kernel asks for.
const FIRST_LOG_SIZE = 256 * 1024;
// kernel/bpf/log.c rejects log_size > UINT_MAX >> 2.
const MAX_LOG_SIZE = 0x3fff_ffff;
const TAIL_LINES = 5;
const STATS_LINE = /^(processed \d+ insns|verification time|stack depth)/;

/** The log request for the next attempt, or null to give up with `failed.error`. */
function nextLog(prev: LogRequest | null, failed: LoadAttempt, level: number): LogRequest | null {
  const code = failed.error?.code;
  if (prev === null) {
    // A log does not help without privileges.
    return code === 'EPERM' ? null : { level, buf: Buffer.alloc(FIRST_LOG_SIZE) };
  }
  // ENOSPC on a log attempt means the log was truncated (the kernel returns it even when
  // the load itself would fail otherwise). Grow to the reported size, else double.
  if (code !== 'ENOSPC' || prev.buf.length >= MAX_LOG_SIZE) return null;
  if (failed.trueSize !== 0 && failed.trueSize <= prev.buf.length) return null;
  const size = failed.trueSize !== 0 ? failed.trueSize : prev.buf.length * 2;
  return { level, buf: Buffer.alloc(Math.min(size, MAX_LOG_SIZE)) };
}

/** The final error: the attempt's error with the verifier log and its last lines. */
function withLog(command: number, failed: LoadAttempt, log: LogRequest | null): BpfError {
  const err = failed.error ?? new BpfError('load failed without an error', { code: 'EINVAL' });
  if (log === null) return err;
  const end = log.buf.indexOf(0);
  const text = log.buf.subarray(0, end < 0 ? log.buf.length : end).toString('utf8');
  if (text.length === 0) return err;
  // The kernel ends with statistics ("processed N insns", "verification time"); the
  // lines before them say what went wrong.
  const lines = text.trimEnd().split('\n').filter((l) => !STATS_LINE.test(l));
  const tail = lines.slice(-TAIL_LINES).join('\n  ');
  return new BpfError(`${err.message}; verifier log ends with:\n  ${tail}`, {
    code: err.code,
    errno: err.errno,
    command: err.command,
    hint: hintFor(command, err.code, true),
    verifierLog: text,
    cause: err.cause,
  });
}

/**
 * Runs `attempt` (first without a log, then with growing logs) until it loads or fails
 * for good.
 * @throws {BpfError} with `verifierLog` when a log was collected.
 */
export function loadWithLog(command: number, level: number, attempt: (log: LogRequest | null) => LoadAttempt): number {
  let log: LogRequest | null = null;
  for (;;) {
    const result = attempt(log);
    if (result.fd !== undefined) return result.fd;
    const next = nextLog(log, result, level);
    if (next === null) throw withLog(command, result, log);
    log = next;
  }
}

/** {@link loadWithLog} for attempts that run on the thread pool. */
export async function loadWithLogAsync(
  command: number,
  level: number,
  attempt: (log: LogRequest | null) => Promise<LoadAttempt>,
): Promise<number> {
  let log: LogRequest | null = null;
  for (;;) {
    const result = await attempt(log);
    if (result.fd !== undefined) return result.fd;
    const next = nextLog(log, result, level);
    if (next === null) throw withLog(command, result, log);
    log = next;
  }
}
