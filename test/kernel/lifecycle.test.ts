import { BpfError, BpfLink, BpfObject, openObject } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { linkGetFdById } from '../../lib/sys';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { Child, eventually, startChild } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';

/** Child script: load FILE, attach MAP (ATTACH_OPTIONS json), report ids, then EXIT or wait to be killed. */
const REGISTER = `(async () => {
  const [file, names, options, then] = process.argv.slice(1);
  const obj = await so.openObject(file);
  if (!so.probeStructOpsLink()) for (const m of obj.structOps.values()) if (m.isLink) m.autocreate = false; // Linux < 6.4
  await obj.load();
  const out = [];
  for (const name of names.split(',')) {
    const map = obj.structOps.get(name);
    const link = await map.attach(JSON.parse(options));
    globalThis.keep = [...(globalThis.keep || []), link];
    out.push({ name, mapId: map.id, linkId: link.isLink ? link.id : undefined });
  }
  send('ready', out);
  if (then === 'wait') setInterval(() => {}, 1000);
})().catch(fail);`;

interface Ready { name: string; mapId: number; linkId?: number }

const shownIds = (): number[] => structOpsShow().map((s) => s.id);
const linkIds = (): number[] => (bpftoolJson<{ id: number }[]>('link', 'show') ?? []).map((l) => l.id);

describeKernel('registration lifecycle', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  const children: Child[] = [];
  let baseline = 0;

  const open = async (name: string): Promise<BpfObject> => {
    const obj = await openObject(fixture(name));
    objects.push(obj);
    skipLinkMapsIfUnsupported(obj);
    await obj.load();
    return obj;
  };

  beforeAll(() => {
    baseline = openFdCount();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      await c.exited;
    }
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    unregisterLeftovers(['swap_']);
  });
  afterAll(async () => {
    // Never more fds than before (jest itself may close some of its own meanwhile).
    expect(openFdCount()).toBeLessThanOrEqual(baseline);
    // Freed maps leave bpftool's list after an RCU grace period.
    expect(await eventually(() => !structOpsShow().some((s) => s.name.startsWith('swap_')))).toBe(true);
  });

  testWithLinks('close() ends both kinds: a link by closing its fd, a legacy map by MAP_DELETE_ELEM', async () => {
    const obj = await open('swap_a');
    const linked = await obj.structOps.get('swap_a')!.attach();
    const legacy = await obj.structOps.get('swap_legacy')!.attach();
    links.push(linked, legacy);
    expect(linked.isLink).toBe(true);
    expect(legacy.isLink).toBe(false);
    expect(legacy.persist).toBe(false);
    expect(linked.info().structOpsMapId).toBe(obj.structOps.get('swap_a')!.id);
    expect(linkIds()).toContain(linked.id);
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['so_swap', 'so_swap_legacy']));

    const linkId = linked.id;
    linked.close();
    legacy.close();
    expect(linked.closed && legacy.closed).toBe(true);
    expect(availableCongestionControls()).not.toContain('so_swap');
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
    expect(linkIds()).not.toContain(linkId);
    expect(() => linkGetFdById(linkId)).toThrow(BpfError);
    expect(() => linked.info()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    legacy.close(); // a second close does nothing
  });

  test('the object owns its legacy registration: closing the object ends it, a later link.close() is a no-op', async () => {
    const obj = await open('swap_a');
    const map = obj.structOps.get('swap_legacy')!;
    const mapId = map.id;
    const link = await map.attach();
    links.push(link);
    expect(availableCongestionControls()).toContain('so_swap_legacy');
    obj.close();
    expect(link.closed).toBe(true);
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
    link.close();
    expect(await eventually(() => !shownIds().includes(mapId))).toBe(true);
  });

  testWithLinks('a link-based registration cannot be made persistent (pin it instead)', async () => {
    const obj = await open('swap_a');
    const err = await obj.structOps.get('swap_a')!.attach({ persist: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EINVAL', map: 'swap_a' });
    expect((err as BpfError).hint).toMatch(/pin the link/);
    expect(availableCongestionControls()).not.toContain('so_swap');
  });

  test('without persist, a legacy registration ends when its process exits normally (exit hook)', async () => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'swap_legacy', '{}', 'exit']);
    children.push(child);
    const [ready] = await child.waitFor<Ready[]>('ready');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
    expect(await eventually(() => !shownIds().includes(ready.mapId))).toBe(true);
  });

  test('with persist, a legacy registration outlives its process', async () => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'swap_legacy', '{"persist":true}', 'exit']);
    children.push(child);
    const [ready] = await child.waitFor<Ready[]>('ready');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(availableCongestionControls()).toContain('so_swap_legacy');
    expect(structOpsShow().find((s) => s.id === ready.mapId)).toEqual({ id: ready.mapId, name: 'swap_legacy', kernel_struct_ops: 'tcp_congestion_ops' });
    expect(unregisterLeftovers(['swap_legacy'])).toEqual(['swap_legacy']);
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  testWithLinks('SIGKILL: link registrations vanish with the process', async () => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'swap_a', '{}', 'wait']);
    children.push(child);
    const [ready] = await child.waitFor<Ready[]>('ready');
    expect(ready.linkId).toBeGreaterThan(0);
    expect(availableCongestionControls()).toContain('so_swap');
    expect(shownIds()).toContain(ready.mapId);
    expect(linkIds()).toContain(ready.linkId);

    child.proc.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await eventually(() => !availableCongestionControls().includes('so_swap'))).toBe(true);
    expect(await eventually(() => !shownIds().includes(ready.mapId))).toBe(true);
    expect(linkIds()).not.toContain(ready.linkId);
  });

  test('SIGKILL runs no exit hook: a legacy registration survives it (documented limit)', async () => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'swap_legacy', '{}', 'wait']);
    children.push(child);
    const [ready] = await child.waitFor<Ready[]>('ready');
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(availableCongestionControls()).toContain('so_swap_legacy');
    expect(shownIds()).toContain(ready.mapId);
    // afterEach's unregisterLeftovers removes it.
  });
});
