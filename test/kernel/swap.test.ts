import type { Socket } from 'node:net';
import { BpfLink, BpfObject, openObject, setCongestionControl } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { loopbackTraffic } from '../../lib/demo/traffic';
import { structOpsShow } from '../helpers/bpftool';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { openFdCount } from '../helpers/kernel';
import { describeWithLinks } from '../helpers/features';
import { pushTraffic } from '../helpers/traffic';
import { catchBpf } from '../helpers/errors';

const COUNTERS = ['init_calls', 'ssthresh_calls', 'cong_avoid_calls', 'undo_cwnd_calls'];
type Counters = Record<string, bigint>;

/** The swap fixtures' per-callback .bss counters. */
function counters(obj: BpfObject): Counters {
  const bss = obj.readGlobals('.bss');
  return Object.fromEntries(COUNTERS.map((c) => [c, bss[c] as bigint]));
}
const total = (c: Counters): bigint => Object.values(c).reduce((a, b) => a + b, 0n);


describeWithLinks('live swap through BPF_LINK_UPDATE', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  let baseline = 0;
  const open = async (path: string): Promise<BpfObject> => {
    const obj = await openObject(path);
    objects.push(obj);
    await obj.load();
    return obj;
  };

  beforeAll(() => {
    baseline = openFdCount();
  });
  afterEach(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    unregisterLeftovers(['swap_']);
  });
  afterAll(() => {
    // Never more fds than before (jest itself may close some of its own meanwhile).
    expect(openFdCount()).toBeLessThanOrEqual(baseline);
    expect(availableCongestionControls()).not.toContain('so_swap');
  });

  test('a running connection keeps moving data across the swap; callbacks move to the new programs', async () => {
    // Two objects, one algorithm (so_swap): separate programs and .bss counters.
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const mapA = a.structOps.get('swap_a')!;
    const mapB = b.structOps.get('swap_b')!;
    const link = await mapA.attach();
    links.push(link);

    // Phases advance on what is observed (bytes moved, callbacks counted), never on how much
    // happens in a time slice; only the whole transfer has a (generous) timeout.
    type Snapshot = { bytes: number; a: Counters; b: Counters };
    const snap: Record<'swapped' | 'beforeReselect' | 'afterReselect' | 'done', Snapshot | undefined> = {
      swapped: undefined, beforeReselect: undefined, afterReselect: undefined, done: undefined,
    };
    const MiB = 1024 * 1024;
    let failure: unknown;
    const result = await loopbackTraffic({
      algorithm: 'so_swap', timeoutMs: 120000,
      until: () => snap.done !== undefined || failure !== undefined,
      onProgress: (bytes: number, _ms: number, sender?: Socket) => {
        try {
          const now = { bytes, a: counters(a), b: counters(b) };
          if (!snap.swapped) {
            if (bytes < MiB || total(now.a) === 0n) return;
            snap.swapped = now;
            link.update(mapB, { expected: mapA });
          } else if (!snap.beforeReselect) {
            // Swapped, not yet re-selected: wait until the live socket has run A's callbacks again.
            if (bytes < snap.swapped.bytes + MiB || total(now.a) <= total(snap.swapped.a)) return;
            snap.beforeReselect = now;
            // A socket keeps the ops it selected (the kernel holds a reference to them), so the
            // live connection moves to the new programs when it selects the algorithm again.
            setCongestionControl(sender!, 'so_swap');
          } else if (!snap.afterReselect) {
            snap.afterReselect = now;
          } else if (bytes >= snap.afterReselect.bytes + MiB && now.b.cong_avoid_calls > snap.afterReselect.b.cong_avoid_calls) {
            snap.done = now;
          }
        } catch (err) {
          failure ??= err;
        }
      },
    });
    if (failure) throw failure;
    const end = { a: counters(a), b: counters(b) };
    const { swapped, beforeReselect, afterReselect, done } = snap as Record<keyof typeof snap, Snapshot>;

    expect(result.algorithm).toBe('so_swap');
    expect(done).toBeDefined();
    // Data kept flowing on the one connection through every phase.
    expect(beforeReselect.bytes).toBeGreaterThan(swapped.bytes);
    expect(afterReselect.bytes).toBeGreaterThanOrEqual(beforeReselect.bytes);
    expect(done.bytes).toBeGreaterThan(afterReselect.bytes);
    expect(result.bytes).toBeGreaterThanOrEqual(done.bytes);

    // Before the swap only A's callbacks ran.
    expect(total(swapped.a)).toBeGreaterThan(0n);
    expect(total(swapped.b)).toBe(0n);
    // Swapped, not yet re-selected: the live socket still calls A's programs.
    expect(total(beforeReselect.a)).toBeGreaterThan(total(swapped.a));
    expect(total(beforeReselect.b)).toBe(0n);
    // After re-selecting: A's counters stop, B's start (init once, then the per-ACK ones).
    expect(end.a).toEqual(afterReselect.a);
    expect(end.b.init_calls).toBe(1n);
    expect(end.b.cong_avoid_calls).toBeGreaterThan(afterReselect.b.cong_avoid_calls);

    // The kernel agrees: the link points at B, one so_swap is offered.
    expect(link.info().structOpsMapId).toBe(mapB.id);
    expect(link.map).toBe(mapB);
    expect(availableCongestionControls().filter((n) => n === 'so_swap')).toHaveLength(1);
    expect(structOpsShow().map((s) => s.id)).toEqual(expect.arrayContaining([mapA.id, mapB.id]));

    // New connections use B from the start.
    await pushTraffic('so_swap', 8 * 1024 * 1024);
    expect(counters(b).init_calls).toBe(2n);
    expect(counters(a)).toEqual(end.a);
  });

  test('the new object may be closed: the link holds its map', async () => {
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const link = await a.structOps.get('swap_a')!.attach();
    links.push(link);
    const idB = b.structOps.get('swap_b')!.id;
    link.update(b.structOps.get('swap_b')!);
    // b did not create the link (a did, and a owns it): closing b leaves it registered.
    b.close();
    expect(link.info().structOpsMapId).toBe(idB);
    expect(structOpsShow().map((s) => s.id)).toContain(idB);
    expect((await pushTraffic('so_swap', 4 * 1024 * 1024)).algorithm).toBe('so_swap');
    link.close();
    expect(availableCongestionControls()).not.toContain('so_swap');
  });

  test('expected map mismatch: BPF_F_REPLACE refuses with EPERM and the link is unchanged', async () => {
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const c = await open(fixture('swap_b'));
    const link = await a.structOps.get('swap_a')!.attach();
    links.push(link);
    const err = catchBpf(() => link.update(c.structOps.get('swap_b')!, { expected: b.structOps.get('swap_b')! }));
    expect(err).toMatchObject({ code: 'EPERM', command: 'BPF_LINK_UPDATE', map: 'swap_b' });
    expect(err.message).toMatch(/cannot switch the link/);
    expect(err.hint).toMatch(/no longer points at the expected map/);
    expect(link.info().structOpsMapId).toBe(a.structOps.get('swap_a')!.id);
    expect(link.map).toBe(a.structOps.get('swap_a'));
  });

  test('expected map by kernel id: another map\'s id is EPERM, an id no map has ENOENT, the current one swaps', async () => {
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const c = await open(fixture('swap_b'));
    const link = await a.structOps.get('swap_a')!.attach();
    links.push(link);
    const idA = a.structOps.get('swap_a')!.id;
    const other = catchBpf(() => link.update(c.structOps.get('swap_b')!, { expected: b.structOps.get('swap_b')!.id }));
    expect(other).toMatchObject({ code: 'EPERM', command: 'BPF_LINK_UPDATE', map: 'swap_b' });
    // Ids count up from 1 and are never this high on a test machine.
    const gone = catchBpf(() => link.update(c.structOps.get('swap_b')!, { expected: 2 ** 31 - 1 }));
    expect(gone).toMatchObject({ code: 'ENOENT', map: 'swap_b' });
    expect(gone.message).toMatch(/expected map id 2147483647 no longer exists/);
    expect(link.info().structOpsMapId).toBe(idA);
    link.update(c.structOps.get('swap_b')!, { expected: idA });
    expect(link.info().structOpsMapId).toBe(c.structOps.get('swap_b')!.id);
  });

  test('a different algorithm name: EINVAL with a hint naming it', async () => {
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const link = await a.structOps.get('swap_a')!.attach();
    links.push(link);
    const err = catchBpf(() => link.update(b.structOps.get('swap_other')!));
    expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_LINK_UPDATE', map: 'swap_other' });
    expect(err.hint).toMatch(/same \.name.*so_swap_other/);
    expect(link.info().structOpsMapId).toBe(a.structOps.get('swap_a')!.id);
    expect(availableCongestionControls()).not.toContain('so_swap_other');
  });

  test('legacy maps: no update of a legacy registration, no switch to a legacy map', async () => {
    const a = await open(fixture('swap_a'));
    const link = await a.structOps.get('swap_a')!.attach();
    const legacy = await a.structOps.get('swap_legacy')!.attach();
    links.push(link, legacy);
    expect(catchBpf(() => legacy.update(a.structOps.get('swap_a')!))).toMatchObject({ code: 'EOPNOTSUPP' });
    const err = catchBpf(() => link.update(a.structOps.get('swap_legacy')!));
    expect(err).toMatchObject({ code: 'EINVAL', map: 'swap_legacy' });
    expect(err.hint).toMatch(/struct_ops\.link/);
  });

  test('a detached link cannot be updated', async () => {
    const a = await open(fixture('swap_a'));
    const b = await open(fixture('swap_b'));
    const link = await a.structOps.get('swap_a')!.attach();
    links.push(link);
    link.detach();
    expect(link.info().structOpsMapId).toBe(0);
    expect(availableCongestionControls()).not.toContain('so_swap');
    const err = catchBpf(() => link.update(b.structOps.get('swap_b')!));
    expect(err.command).toBe('BPF_LINK_UPDATE');
    expect(err.code).toBe('ENOLINK');
    expect(err.hint).toMatch(/detached/);
    link.detach(); // detaching twice is harmless
    expect(link.info().structOpsMapId).toBe(0);
  });
});
