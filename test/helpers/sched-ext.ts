/**
 * sched_ext's view from user space, for the scheduler tests: the sysfs state files, the
 * exit record our fixtures keep (so_exit_record in test/fixtures/bpf/families/sched_ext.h),
 * and a CPU workload of child processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { BpfObject, DecodedValue } from '../../lib';
import { pollUntil } from './families';

const SCX = '/sys/kernel/sched_ext';

/** /sys/kernel/sched_ext/state: 'enabled', 'disabled', 'enabling', 'disabling'. */
export function scxState(): string {
  return readFileSync(`${SCX}/state`, 'utf8').trim();
}

/** The name of the root scheduler (/sys/kernel/sched_ext/root/ops), or undefined when none. */
export function scxRootOps(): string | undefined {
  const p = `${SCX}/root/ops`;
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}

/** Waits (bounded: 400 polls of 50 ms) for the state to be `want`; returns the last seen. */
export function waitScxState(want: string): Promise<string> {
  return pollUntil(scxState, (s) => s === want, 400, 50);
}

/** enum scx_exit_kind values the tests expect (include/linux/sched/ext.h). */
export const SCX_EXIT_UNREG = 64;
export const SCX_EXIT_ERROR_STALL = 1026;
/** sched_ext_ops.flags bit: ops.enqueue also gets the last runnable task of a CPU. */
export const SCX_OPS_ENQ_LAST = 2n;

export interface ExitRecord { kind: number; exitCode: bigint; reason: string; msg: string }

/** The fixture's exit record, read from its .bss through the object's BTF. */
export function exitRecord(obj: BpfObject): ExitRecord {
  const rec = obj.readGlobals('.bss').exit_rec as { [k: string]: DecodedValue };
  return { kind: Number(rec.kind), exitCode: BigInt(rec.exit_code as number | bigint), reason: String(rec.reason), msg: String(rec.msg) };
}

/**
 * Runs `count` shell children that each spin `loops` times, to completion; resolves with
 * their exit codes (a stalled scheduler would keep them from ever finishing).
 */
export function cpuWorkload(count: number, loops: number): Promise<number[]> {
  const script = `i=0; while [ $i -lt ${loops} ]; do i=$((i+1)); done; exit 0`;
  return Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : -2)));
  })));
}
