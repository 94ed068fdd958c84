/**
 * `struct-ops run` of a sched_ext scheduler (the 7.3 VM): the live view shows the
 * scheduler's per-CPU statistics, and the end report gives the exit record the scheduler
 * wrote, for a Ctrl-C (SCX_EXIT_UNREG) and for the watchdog ejecting it (exit status 3).
 */
import { describeFamily, familyFixture } from '../../helpers/families';
import { killStarted, startCli } from '../../helpers/long-cli';
import { cpuWorkload, SCX_EXIT_ERROR_STALL, SCX_EXIT_UNREG, scxRootOps, scxState, waitScxState } from '../../helpers/sched-ext';

type Line = { type: string; [k: string]: unknown };

describeFamily('sched_ext_ops', 'struct-ops run: a sched_ext scheduler', () => {
  afterEach(async () => {
    await killStarted();
    await waitScxState('disabled');
  });

  test('shows the per-CPU stats while scheduling; SIGINT detaches and reports the exit record', async () => {
    const run = startCli(['run', familyFixture('scx_vtime'), '--json', '--interval', '0.2']);
    await run.waitForLine((l) => l.includes('"type":"registered"'), 'registration', 60000);
    expect(await waitScxState('enabled')).toBe('enabled');
    expect(scxRootOps()).toBe('so10b_vtime');
    expect(await cpuWorkload(4, 2000)).toEqual([0, 0, 0, 0]);
    // A refresh after the workload: the enqueue counter (stats slot 0, summed over CPUs) moved.
    const seen = run.lines().length;
    const after = JSON.parse(await run.waitForLine(
      (l) => run.lines().indexOf(l) >= seen && l.includes('"type":"interval"'), 'an interval after the workload', 60000)) as Line;
    const stats = (after.values as Record<string, Record<string, number>>).stats;
    expect(stats['[0]']).toBeGreaterThanOrEqual(4);
    run.proc.kill('SIGINT');
    const { signal } = await run.exited;
    expect(signal).toBe('SIGINT');
    const end = run.lines().map((l) => JSON.parse(l) as Line).find((o) => o.type === 'ended')!;
    expect(end).toMatchObject({ reason: 'signal', signal: 'SIGINT', exit_status: 130 });
    expect(end.exit_info).toMatchObject({ kind: SCX_EXIT_UNREG, kind_name: 'SCX_EXIT_UNREG' });
    expect(scxState()).toBe('disabled');
  });

  test('the watchdog ejecting a stalling scheduler ends run with exit 3 and the stall record', async () => {
    const run = startCli(['run', familyFixture('scx_stall'), '--interval', '0.2']);
    const { code } = await run.exited;
    expect(code).toBe(3);
    const text = run.lines().join('\n');
    expect(text).toMatch(/ended: the scheduler exited \(SCX_EXIT_ERROR_STALL\)/);
    expect(text).toContain(`exit kind: SCX_EXIT_ERROR_STALL (${SCX_EXIT_ERROR_STALL})`);
    expect(run.stderr()).toMatch(/^struct-ops run: the scheduler exited/m);
    expect(await waitScxState('disabled')).toBe('disabled');
  });
});
