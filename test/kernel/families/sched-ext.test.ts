/**
 * sched_ext schedulers of our own (test/fixtures/bpf/families/scx_*.bpf.c) registered on a
 * kernel with sched_ext_ops (the 7.3 VM): the kernel's sysfs view, tasks scheduled by
 * them (per-CPU counters), data members edited before load, detach, and the watchdog
 * ejecting a scheduler that never dispatches.
 */
import { BpfLink, BpfObject, dumpStructOps, openObject } from '../../../lib';
import type { StructOpsDataMember } from '../../../lib';
import { BpfMapType } from '../../../lib/sys';
import { structOpsShow } from '../../helpers/bpftool';
import { describeFamily, evidence, familyFixture, perCpuSum } from '../../helpers/families';
import {
  SCX_EXIT_ERROR_STALL, SCX_EXIT_UNREG, SCX_OPS_ENQ_LAST, cpuWorkload, exitRecord, scxRootOps, scxState, waitScxState,
} from '../../helpers/sched-ext';

const STAT_ENQUEUE = 0;
const STAT_DISPATCH = 1;
const STAT_RUNNING = 2;

const dataMember = (mapId: number, name: string) =>
  (dumpStructOps(mapId).members.find((m) => m.name === name) as StructOpsDataMember | undefined)?.value;

describeFamily('sched_ext_ops', 'sched_ext: a vtime scheduler of our own', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    await waitScxState('disabled');
  });

  test('registers through a link, schedules a workload to completion, detaches with an exit record', async () => {
    expect(scxState()).toBe('disabled');
    const obj = await openObject(familyFixture('scx_vtime'));
    objects.push(obj);
    const ops = obj.structOps.get('so10b_vtime')!;
    expect(ops.isLink).toBe(true);
    // Data members edited before load are what the kernel then reports.
    ops.value.name = 'so10b_edited';
    ops.value.timeout_ms = 7000;
    ops.value.flags = SCX_OPS_ENQ_LAST;
    await obj.load();
    expect(obj.readGlobals('.data').init_result).toBe(-1); // ops.init has not run yet

    const link = await ops.attach();
    links.push(link);
    expect(await waitScxState('enabled')).toBe('enabled');
    expect(scxRootOps()).toBe('so10b_edited');
    expect(obj.readGlobals('.data').init_result).toBe(0); // the sleepable init created the DSQ
    expect(structOpsShow().find((s) => s.id === ops.id)).toMatchObject({ name: 'so10b_vtime', kernel_struct_ops: 'sched_ext_ops' });
    expect(dataMember(ops.id, 'name')).toBe('so10b_edited');
    expect(dataMember(ops.id, 'timeout_ms')).toBe(7000);
    expect(BigInt(dataMember(ops.id, 'flags') as number | bigint)).toBe(SCX_OPS_ENQ_LAST);

    const stats = obj.maps.get('stats')!;
    const before = [STAT_ENQUEUE, STAT_DISPATCH, STAT_RUNNING].map((k) => perCpuSum(stats, k));
    expect(await cpuWorkload(4, 2000)).toEqual([0, 0, 0, 0]);
    const after = [STAT_ENQUEUE, STAT_DISPATCH, STAT_RUNNING].map((k) => perCpuSum(stats, k));
    // Each child was enqueued, dispatched from our DSQ and switched in at least once.
    for (let i = 0; i < 3; i++) expect(after[i] - before[i]).toBeGreaterThanOrEqual(4n);
    evidence('sched_ext_ops', `state=${scxState()} root/ops=${scxRootOps()} timeout_ms=${dataMember(ops.id, 'timeout_ms')} flags=${dataMember(ops.id, 'flags')} per-CPU enqueue/dispatch/running before=${before.join('/')} after=${after.join('/')}`);
    expect(exitRecord(obj).kind).toBe(0);

    link.detach();
    expect(await waitScxState('disabled')).toBe('disabled');
    expect(scxRootOps()).toBeUndefined();
    const rec = exitRecord(obj);
    expect(rec.kind).toBe(SCX_EXIT_UNREG);
    expect(rec.reason).toMatch(/unregistered from user space/);
    evidence('sched_ext_ops', `after detach state=${scxState()} exit kind=${rec.kind} reason="${rec.reason}"`);
  });

  test('.rodata tunable fifo_mode loads a FIFO variant that schedules too', async () => {
    const obj = await openObject(familyFixture('scx_vtime'));
    objects.push(obj);
    obj.setGlobals('.rodata', { fifo_mode: true, slice_ns: 2_000_000n });
    obj.structOps.get('so10b_vtime')!.value.name = 'so10b_fifo_mode';
    await obj.load();
    expect(obj.readGlobals('.rodata')).toMatchObject({ fifo_mode: true, slice_ns: 2_000_000n });
    const link = await obj.structOps.get('so10b_vtime')!.attach();
    links.push(link);
    expect(await waitScxState('enabled')).toBe('enabled');
    expect(scxRootOps()).toBe('so10b_fifo_mode');
    const stats = obj.maps.get('stats')!;
    const before = perCpuSum(stats, STAT_DISPATCH);
    expect(await cpuWorkload(2, 1000)).toEqual([0, 0]);
    expect(perCpuSum(stats, STAT_DISPATCH) - before).toBeGreaterThanOrEqual(2n);
    link.close();
    expect(await waitScxState('disabled')).toBe('disabled');
    expect(exitRecord(obj).kind).toBe(SCX_EXIT_UNREG);
  });

  test('a scheduler that never dispatches is ejected by the watchdog; its exit record says why', async () => {
    const obj = await openObject(familyFixture('scx_stall'));
    objects.push(obj);
    await obj.load();
    const ops = obj.structOps.get('so10b_stall')!;
    const link = await ops.attach();
    links.push(link);
    // Runnable tasks starve (this process too, until the watchdog acts after timeout_ms).
    const state = await waitScxState('disabled');
    expect(state).toBe('disabled');
    const rec = exitRecord(obj);
    expect(rec.kind).toBe(SCX_EXIT_ERROR_STALL);
    expect(rec.reason).toMatch(/stall/i);
    // Either a starved task ("T[pid] failed to run for Ns") or the starved watchdog itself.
    expect(rec.msg).toMatch(/failed to run for|watchdog failed to check in for/);
    expect(Number(obj.readGlobals('.bss').enqueued)).toBeGreaterThan(0);
    evidence('sched_ext_ops', `stall: state=${scxState()} exit kind=${rec.kind} reason="${rec.reason}" msg="${rec.msg}"`);
    // The link outlives the scheduler; its map no longer runs anything.
    expect(scxRootOps()).toBeUndefined();
  });
});

describeFamily('sched_ext_ops', 'sched_ext: a queue-map scheduler of our own', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    await waitScxState('disabled');
  });

  test('QUEUE maps in an ARRAY_OF_MAPS, TASK_STORAGE and a bpf_timer: tasks flow through both queues', async () => {
    const obj = await openObject(familyFixture('scx_queues'));
    objects.push(obj);
    await obj.load();
    const queues = obj.maps.get('queues')!;
    expect(queues.type).toBe(BpfMapType.ARRAY_OF_MAPS);
    // The two QUEUE maps sit in the outer map's slots as the C initializer put them.
    expect(queues.innerId(0)).toBe(obj.maps.get('queue0')!.id);
    expect(queues.innerId(1)).toBe(obj.maps.get('queue1')!.id);
    expect(obj.maps.get('queue0')!.type).toBe(BpfMapType.QUEUE);
    const link = await obj.structOps.get('so10b_queues')!.attach();
    links.push(link);
    expect(await waitScxState('enabled')).toBe('enabled');
    expect(scxRootOps()).toBe('so10b_queues');
    expect(await cpuWorkload(4, 2000)).toEqual([0, 0, 0, 0]);
    const g = obj.readGlobals('.bss') as { queued: (number | bigint)[]; dispatched: number | bigint; ticks: number | bigint };
    // Tasks alternate between the queues (task storage counts per task).
    expect(Number(g.queued[0])).toBeGreaterThan(0);
    expect(Number(g.queued[1])).toBeGreaterThan(0);
    expect(Number(g.dispatched)).toBeGreaterThan(0);
    // The timer armed by ops.init runs every 10 ms: it has run by the time 4 children finished
    // and runs again (counted, not timed: wait for the next increments).
    const t0 = Number(g.ticks);
    const later = await new Promise<number>((resolve) => {
      const poll = (n: number): void => {
        const t = Number(obj.readGlobals('.bss').ticks);
        if (t > t0 + 1 || n === 0) resolve(t); else setTimeout(() => poll(n - 1), 20);
      };
      poll(500);
    });
    expect(later).toBeGreaterThan(t0 + 1);
    link.close();
    expect(await waitScxState('disabled')).toBe('disabled');
    expect(exitRecord(obj).kind).toBe(SCX_EXIT_UNREG);
  });
});
