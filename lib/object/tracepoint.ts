// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Attaching a `SEC("tracepoint/CATEGORY/NAME")` program (BPF_PROG_TYPE_TRACEPOINT), as
 * libbpf's bpf_program__attach_tracepoint does: the tracepoint's id from tracefs, a perf
 * event on it (perf_event_open), then a BPF link of the program to that event
 * (BPF_LINK_CREATE with BPF_PERF_EVENT, Linux 5.15+).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../errors';
import { BpfAttachType, Fd, linkCreate, perfEventOpenTracepoint } from '../sys';

/** Where tracefs is mounted: its own mount point, then the older one under debugfs. */
export const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

const MOUNT_HINT = 'mount tracefs: mount -t tracefs nodev /sys/kernel/tracing';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `CATEGORY/NAME` of a section target, each one path component: the name becomes a tracefs
 * path, so `..` or a further `/` would read some other file.
 */
function splitTarget(target: string, program: string): [string, string] {
  const parts = target.split('/');
  const ok = parts.length === 2 && parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0'));
  if (!ok) {
    throw new BpfError(`program ${program}: tracepoint section target "${target}" is not CATEGORY/NAME`, {
      code: 'EINVAL', program, hint: 'name the tracepoint in the section: SEC("tracepoint/syscalls/sys_enter_openat")',
    });
  }
  return [parts[0], parts[1]];
}

/**
 * The id of tracepoint `target` (`CATEGORY/NAME`) from the first mounted tracefs of `roots`.
 * @throws {BpfError} EINVAL for a malformed target; ENOENT when no tracefs is mounted (hint:
 *   how to mount it) or the kernel has no such tracepoint; the read's errno otherwise.
 */
export function tracepointId(target: string, program: string, roots: readonly string[] = TRACEFS_ROOTS): number {
  const [category, name] = splitTarget(target, program);
  const root = roots.find((r) => isDir(join(r, 'events')));
  if (root === undefined) {
    throw new BpfError(`program ${program}: cannot find tracepoint ${target}: tracefs is not mounted (looked in ${roots.join(', ')})`, {
      code: 'ENOENT', program, hint: MOUNT_HINT,
    });
  }
  const path = join(root, 'events', category, name, 'id');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') {
      throw new BpfError(`program ${program}: the kernel has no tracepoint ${target} (no ${path})`, {
        code: 'ENOENT', program,
        hint: `list what exists under ${join(root, 'events', category)}; leave the program out with program.autoload = false`,
      });
    }
    throw new BpfError(`program ${program}: cannot read ${path}: ${(err as Error).message}`, { code, program, cause: err });
  }
  const id = Number(text.trim());
  if (!Number.isSafeInteger(id) || id < 0 || !/^\d+\s*$/.test(text)) {
    throw new BpfError(`program ${program}: ${path} holds no tracepoint id: ${JSON.stringify(text.slice(0, 40))}`, { code: 'EINVAL', program });
  }
  return id;
}

/**
 * Links `progFd` to tracepoint `target`.
 * @returns the owned link fd: closing it (and every pin of the link) detaches.
 * @throws {BpfError} see {@link tracepointId}; the errno of perf_event_open or (command
 *   BPF_LINK_CREATE) of the link.
 */
export function attachTracepoint(progFd: Fd, target: string, program: string): Fd {
  const id = tracepointId(target, program);
  const perf = perfEventOpenTracepoint(id);
  try {
    return linkCreate({ progFd, targetFd: perf.raw, attachType: BpfAttachType.PERF_EVENT });
  } finally {
    // The perf link holds its own reference to the event's file (the kernel takes it in
    // LINK_CREATE), so the event lives exactly as long as the link: closing our fd now
    // leaves nothing else to own or leak, and a pinned link keeps working after this
    // process exits. libbpf keeps the fd because its fallback before 5.15 attaches with
    // PERF_EVENT_IOC_SET_BPF, where the perf fd is the attachment; this loader has none.
    perf.close();
  }
}
