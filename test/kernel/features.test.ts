import { release } from 'node:os';
import { BpfLink, BpfObject, loadKernelBtf, openObject, probeStructOpsLink } from '../../lib';
import { btfHasStructOpsAttachType } from '../../lib/kernel';
import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { unregisterLeftovers } from '../helpers/cleanup';
import { expectLinkMapRefused, hasStructOpsLinks } from '../helpers/features';
import { DEMO_OBJECT, fixture } from '../helpers/fixtures';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { pushTraffic } from '../helpers/traffic';

const MiB = 1024 * 1024;

/** major.minor of the running kernel, e.g. [6, 1] for 6.1.0-47-cloud-amd64. */
function kernelVersion(): [number, number] {
  const [major = 0, minor = 0] = release().split(/[.-]/).map((p) => Number.parseInt(p, 10));
  return [major, minor];
}
const atLeast = ([major, minor]: [number, number], [wantMajor, wantMinor]: [number, number]): boolean =>
  major > wantMajor || (major === wantMajor && minor >= wantMinor);

describeKernel('kernel feature probes', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  let baseline = 0;

  beforeAll(() => {
    baseline = openFdCount();
  });
  afterEach(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });
  afterAll(async () => {
    expect(unregisterLeftovers(['cubic_'])).toEqual([]);
    // The traffic's sockets close asynchronously after pushTraffic resolves: wait for them,
    // so the next test file's fd baseline does not include them.
    for (let i = 0; i < 100 && openFdCount() > baseline; i++) await new Promise((r) => setTimeout(r, 50));
    expect(openFdCount()).toBe(baseline);
  });

  test('probeStructOpsLink agrees with kernel BTF, is cached, and holds no fd', async () => {
    const baseline = openFdCount();
    const supported = probeStructOpsLink();
    expect(probeStructOpsLink()).toBe(supported);
    // Kernel BTF pages are read through an fd that closes at the end of the tick.
    await new Promise(setImmediate);
    expect(openFdCount()).toBe(baseline);
    expect(btfHasStructOpsAttachType(loadKernelBtf())).toBe(supported);
    // The gate the other kernel tests use says the same.
    expect(hasStructOpsLinks()).toBe(supported);
    // Added in 6.4: a newer kernel without it is a probe bug, not an old kernel.
    if (atLeast(kernelVersion(), [6, 4])) expect(supported).toBe(true);
    // No probe map is left registered or listed.
    expect(structOpsShow().filter((s) => s.name === 'probe_link')).toEqual([]);
  });

  test('a .struct_ops.link map loads and attaches on 6.4+, and is refused with EOPNOTSUPP and a hint before', async () => {
    if (!probeStructOpsLink()) {
      await expectLinkMapRefused(fixture('cubic'), 'cubic_link');
      await expectLinkMapRefused(DEMO_OBJECT, 'so_demo');
      return;
    }
    const obj = await openObject(fixture('cubic'));
    objects.push(obj);
    await obj.load();
    const link = await obj.structOps.get('cubic_link')!.attach();
    links.push(link);
    expect(link.isLink).toBe(true);
    expect(availableCongestionControls()).toContain('so_cubic_lnk');
  });

  test('with its link map not created, an object still registers its legacy map on every kernel', async () => {
    const obj = await openObject(fixture('cubic'));
    objects.push(obj);
    // libbpf's bpf_map__set_autocreate(map, false): what a program does to run on < 6.4.
    obj.structOps.get('cubic_link')!.autocreate = false;
    await obj.load();
    expect(obj.structOps.get('cubic_link')!.loaded).toBe(false);
    const link = await obj.structOps.get('cubic_legacy')!.attach();
    links.push(link);
    expect(link.isLink).toBe(false);
    const before = obj.readGlobals('.bss');
    const r = await pushTraffic('so_cubic', 4 * MiB);
    expect(r.algorithm).toBe('so_cubic');
    expect(r.bytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(obj.readGlobals('.bss').cong_avoid_calls).toBeGreaterThan(before.cong_avoid_calls as bigint);
    link.close();
    expect(availableCongestionControls()).not.toContain('so_cubic');
  });
});
