/**
 * CLI transactions (issue 12): scripts/fault-sweep.sh fails the N-th bpf() call of a CLI
 * command with ENOMEM for every N and checks that the exit status agrees with the kernel
 * state each time: `register` (all registered and pinned, or nothing) and `update` (the
 * pinned link on the new map, or still on the old one with no stray new map). Needs strace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertDistBuilt } from '../helpers/child';
import { describeKernel } from '../helpers/kernel';

/** Runs the sweep in `mode` and asserts every N agreed, over every call of a clean run. */
function expectSweepAgrees(mode: 'register' | 'update', minCalls: number): void {
  assertDistBuilt();
  const out = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'fault-sweep.sh'), mode], { encoding: 'utf8', timeout: 300_000 });
  const summary = /^fault-sweep: (\d+) passed, (\d+) failed$/m.exec(out.stdout);
  expect(out.stdout).not.toMatch(/DISAGREE/);
  expect(summary).not.toBeNull();
  // Not vacuous: the sweep covered every call of a clean run, plus one past the last.
  const calls = Number(new RegExp(`a clean ${mode} makes (\\d+) bpf\\(\\) calls`).exec(out.stdout)![1]);
  expect(calls).toBeGreaterThan(minCalls);
  expect(Number(summary![1])).toBe(calls + 1);
  expect(Number(summary![2])).toBe(0);
  expect(out.status).toBe(0);
}

describeKernel('CLI commands under ENOMEM at every bpf() call', () => {
  test('register: exit status and kernel state agree for every N', () => {
    expectSweepAgrees('register', 10);
  }, 300_000);

  test('update: exit 0 exactly when the link is on the new map, for every N', () => {
    expectSweepAgrees('update', 10);
  }, 300_000);
});
