/**
 * A BPF qdisc of our own (test/fixtures/bpf/families/qdisc_fifo.bpf.c: a FIFO of sk_buff
 * kptrs on a bpf_list_head under a bpf_spin_lock) on a kernel with Qdisc_ops: registered,
 * it is a qdisc kind for tc; TCP traffic flows through it in a throwaway namespace and tc
 * counts the packets; deleted and unregistered, the kind is gone again.
 */
import { BpfLink, BpfObject, openObject } from '../../../lib';
import { inspectObject } from '../../../lib/introspect';
import { structOpsShow } from '../../helpers/bpftool';
import { describeFamily, evidence, familyFixture } from '../../helpers/families';
import { makeNetns, qdiscCounters, tcIn, tcpOverLoopback } from '../../helpers/qdisc';

const BYTES = 1 << 20;

describeFamily('Qdisc_ops', 'BPF qdisc: a FIFO of our own', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });

  test('tc qdisc add ... so10b_fifo; TCP flows; tc -s counts; del and unregister', async () => {
    const ns = `struct-ops-test-issue-10b-q${process.pid}`;
    cleanups.push(makeNetns(ns));
    // Not registered yet: tc does not know the kind.
    expect(() => tcIn(ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'so10b_fifo')).toThrow();

    const obj = await openObject(familyFixture('qdisc_fifo'));
    objects.push(obj);
    expect(obj.maps.has('.data.fifo')).toBe(true); // the graph roots' own section
    await obj.load();
    const ops = obj.structOps.get('so10b_fifo')!;
    const link = await ops.attach();
    links.push(link);
    expect(structOpsShow().find((s) => s.id === ops.id)).toMatchObject({ kernel_struct_ops: 'Qdisc_ops' });

    tcIn(ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'so10b_fifo');
    expect(qdiscCounters(ns, 'lo')).toMatchObject({ kind: 'so10b_fifo', packets: 0 });
    expect(await tcpOverLoopback(ns, BYTES)).toBe(BYTES);
    const c = qdiscCounters(ns, 'lo');
    expect(c.kind).toBe('so10b_fifo');
    expect(c.bytes).toBeGreaterThan(BYTES); // payload plus headers
    expect(c.packets).toBeGreaterThan(10);
    const g = obj.readGlobals('.bss');
    // Every sk_buff our enqueue took, our dequeue handed out; tc counts their segments
    // (bpf_qdisc_bstats_update counts a GSO sk_buff as its gso_segs packets).
    expect(Number(g.dequeued)).toBeGreaterThan(0);
    expect(Number(g.enqueued)).toBe(Number(g.dequeued));
    expect(c.packets).toBeGreaterThanOrEqual(Number(g.dequeued));
    expect(Number(g.dropped)).toBe(0);
    evidence('Qdisc_ops', `${tcIn(ns, '-s', 'qdisc', 'show', 'dev', 'lo').trim()} || bpf enqueued=${g.enqueued} dequeued=${g.dequeued}`);

    tcIn(ns, 'qdisc', 'del', 'dev', 'lo', 'root');
    expect(qdiscCounters(ns, 'lo').kind).toBe('noqueue');
    link.close();
    expect(() => tcIn(ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'so10b_fifo')).toThrow();
  });
});

describeFamily('Qdisc_ops', 'BPF qdisc: the kernel validation of Qdisc_ops', () => {
  test('a qdisc without destroy: inspect and load() refuse it by member before the kernel would (bpf_qdisc_validate)', async () => {
    const report = inspectObject(familyFixture('qdisc_incomplete'));
    expect(report.issues).toContainEqual(expect.objectContaining({ severity: 'error', map: 'so10b_fifo_nd', member: 'destroy' }));
    const obj = await openObject(familyFixture('qdisc_incomplete'));
    try {
      const err = await obj.load().then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'EINVAL', map: 'so10b_fifo_nd', member: 'destroy' });
      expect((err as Error).message).toMatch(/Qdisc_ops requires destroy, which has no program/);
    } finally {
      obj.close();
    }
  });
});
