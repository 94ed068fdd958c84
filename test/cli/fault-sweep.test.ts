/**
 * CLI transactions (issue 12): scripts/fault-sweep.sh fails the N-th bpf() call of
 * `struct-ops register` with ENOMEM for every N and checks that the exit status agrees with
 * the kernel state each time (all registered and pinned, or nothing). Needs strace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertDistBuilt } from '../helpers/child';
import { describeKernel } from '../helpers/kernel';

describeKernel('register under ENOMEM at every bpf() call', () => {
  test('exit status and kernel state agree for every N', () => {
    assertDistBuilt();
    const out = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'fault-sweep.sh')], { encoding: 'utf8', timeout: 300_000 });
    const summary = /^fault-sweep: (\d+) passed, (\d+) failed$/m.exec(out.stdout);
    expect(out.stdout).not.toMatch(/DISAGREE/);
    expect(summary).not.toBeNull();
    // Not vacuous: the sweep covered every call of a clean run, plus one past the last.
    const calls = Number(/makes (\d+) bpf\(\) calls/.exec(out.stdout)![1]);
    expect(calls).toBeGreaterThan(10);
    expect(Number(summary![1])).toBe(calls + 1);
    expect(Number(summary![2])).toBe(0);
    expect(out.status).toBe(0);
  }, 300_000);
});
