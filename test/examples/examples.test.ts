import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeKernel } from '../helpers/kernel';

const EXAMPLES = join(__dirname, '..', '..', 'scripts', 'examples');

/** Runs an example as a user would (`node scripts/examples/X`, importing 'struct-ops' by name). */
function example(file: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(EXAMPLES, file), ...args], { encoding: 'utf8', timeout: 60000 });
}

describeKernel('runnable examples (scripts/examples)', () => {
  test('quick-start.mjs: register, use on a socket, read counters, unregister', () => {
    const r = example('quick-start.mjs');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^socket uses so_demo$/m);
    const m = /^init (\d+), cong_avoid (\d+)$/m.exec(r.stdout);
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });

  test('kernel-types.cjs: lists the callbacks of tcp_congestion_ops as C', () => {
    const r = example('kernel-types.cjs', 'tcp_congestion_ops');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('u32 (*ssthresh)(struct sock *sk);  /* callback */');
    expect(r.stdout).toMatch(/char name\[16\];/);
    const missing = example('kernel-types.cjs', 'so_no_such_ops');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no struct_ops type so_no_such_ops/);
  });

  test('edit-and-swap.cjs: renamed instances, live link swap', () => {
    const r = example('edit-and-swap.cjs');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const before = /map id (\d+)$/m.exec(r.stdout.split('\n')[0]);
    const after = /^swapped to map id (\d+)$/m.exec(r.stdout);
    expect(Number(after?.[1])).toBeGreaterThan(0);
    expect(after?.[1]).not.toBe(before?.[1]);
  });
});
