// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * perf_event_open(2) for a tracefs tracepoint: the event a BPF_PROG_TYPE_TRACEPOINT program
 * is linked to. Not a bpf() command, but the same addon issues it, and builds the whole
 * perf_event_attr itself (PERF_TYPE_TRACEPOINT only): JS passes just the id and the cpu.
 */
import { BpfError } from '../errors';
import { Fd } from './fd';
import { nativeAddon } from './native';

/** perf_event_open's errnos that have a usual cause here. */
function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'perf events of tracepoints need root or CAP_PERFMON (and kernel.perf_event_paranoid allowing it)';
    case 'ENOENT':
    case 'EINVAL':
      return 'the id is not a tracepoint of this kernel (read it from tracefs events/CATEGORY/NAME/id)';
    case 'ENODEV':
      return 'this kernel has no perf events (CONFIG_PERF_EVENTS) or the cpu is offline';
    default:
      return undefined;
  }
}

/**
 * Opens a perf event on tracepoint `id` (pid -1: every task; sample_period 1), close-on-exec.
 * @returns the owned perf event fd.
 * @throws {BpfError} ENOSYS when the addon predates this function; the errno of
 *   perf_event_open otherwise (EACCES/EPERM without privileges, ENOENT for an unknown id).
 */
export function perfEventOpenTracepoint(id: number, cpu = 0): Fd {
  const addon = nativeAddon();
  if (typeof addon.perfEventOpenTracepoint !== 'function') {
    throw new BpfError('the struct-ops native addon has no perf_event_open (it predates tracepoint attach)', {
      code: 'ENOSYS', hint: 'rebuild it with `npm run build:native`',
    });
  }
  try {
    return new Fd(addon.perfEventOpenTracepoint(id, cpu));
  } catch (e) {
    const { code, errno, message } = e as { code?: string; errno?: number; message?: string };
    throw new BpfError(`perf_event_open(tracepoint ${id}): ${message ?? String(e)}`, {
      code: code ?? 'EINVAL', errno, hint: hintFor(code), cause: e,
    });
  }
}
