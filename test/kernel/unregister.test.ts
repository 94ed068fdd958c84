/**
 * findRegistrations()/unregisterStructOps(): ending registrations made elsewhere, by map id,
 * map name and pin, through the public API (what `struct-ops unregister` uses). Kernel
 * objects are named unr_* (a copy of s12_owner.bpf.o with s12_ renamed unr_).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFFS_ROOT, findRegistrations, openObject, unregisterStructOps } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { eventually } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { catchBpf } from '../helpers/errors';
import { fixture } from '../helpers/fixtures';
import { skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';
import { describeKernel } from '../helpers/kernel';

const scratch = mkdtempSync(join(tmpdir(), 'struct-ops-unr-'));
/** s12_owner.bpf.o with every s12_ renamed unr_ (same length): maps unr_link and unr_legacy. */
const UNR_OBJECT = join(scratch, 'unr.bpf.o');
const pinDir = join(BPFFS_ROOT, `struct-ops-test-unr-${process.pid}`);

const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('unr_'));

/** Registers map `name` of the unr_ object in this process and leaves it registered; returns its ids. */
async function register(name: 'unr_link' | 'unr_legacy', options: { algorithm?: string; pin?: string } = {}): Promise<{ mapId: number; linkId?: number }> {
  const obj = await openObject(UNR_OBJECT);
  try {
    const map = obj.structOps.get(name)!;
    if (options.algorithm) map.value.name = options.algorithm;
    // Before 6.4 the object's link map cannot load; the legacy one still can.
    skipLinkMapsIfUnsupported(obj);
    await obj.load();
    const link = await map.attach({ persist: !map.isLink });
    const ids = { mapId: map.id, linkId: link.isLink ? link.id : undefined };
    // A pinned link holds the registration; a persistent legacy one survives the object.
    if (options.pin) link.pin(options.pin);
    if (link.isLink) link.close();
    return ids;
  } finally {
    obj.close();
  }
}

describeKernel('unregisterStructOps / findRegistrations', () => {
  beforeAll(() => {
    const b = readFileSync(fixture('s12_owner'));
    for (let i = b.indexOf('s12_'); i >= 0; i = b.indexOf('s12_', i + 1)) b.write('unr_', i, 'latin1');
    writeFileSync(UNR_OBJECT, b);
  });

  afterEach(async () => {
    rmSync(pinDir, { recursive: true, force: true });
    unregisterLeftovers(['unr_']);
    expect(await eventually(() => ours().length === 0)).toBe(true);
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('a legacy map by id: ended, reported, and the algorithm is gone', async () => {
    const { mapId } = await register('unr_legacy');
    expect(availableCongestionControls()).toContain('unr_own_legacy');
    expect(unregisterStructOps({ id: mapId })).toEqual([{
      kind: 'legacy', name: 'unr_legacy', kernelType: 'tcp_congestion_ops', mapId, linkIds: [], unpinned: [], warnings: [],
    }]);
    expect(availableCongestionControls()).not.toContain('unr_own_legacy');
    // Nothing left to end: the map is freed with its registration.
    expect(await eventually(() => !structOpsShow().some((s) => s.id === mapId))).toBe(true);
    const again = catchBpf(() => unregisterStructOps({ id: mapId }));
    expect(again).toMatchObject({ code: 'ENOENT', message: `no struct_ops found for id ${mapId}`, hint: expect.stringMatching(/struct-ops show/) });
  });

  test('a name shared by two maps is refused, nothing ended, unless all', async () => {
    const a = await register('unr_legacy');
    const b = await register('unr_legacy', { algorithm: 'unr_own_leg2' });
    const refused = catchBpf(() => findRegistrations({ name: 'unr_legacy' }));
    expect(refused).toMatchObject({ code: 'EEXIST', hint: expect.stringMatching(/all/) });
    expect(refused.message).toMatch(/^2 struct_ops maps are named unr_legacy .*; nothing was unregistered$/);
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['unr_own_legacy', 'unr_own_leg2']));

    const found = findRegistrations({ name: 'unr_legacy', all: true });
    expect(found.map((r) => [r.kind, r.info?.id, r.pins])).toEqual([['legacy', a.mapId, []], ['legacy', b.mapId, []]]);
    // Finding changed nothing.
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['unr_own_legacy', 'unr_own_leg2']));
    expect(found.map((r) => r.unregister().mapId)).toEqual([a.mapId, b.mapId]);
    expect(availableCongestionControls()).not.toContain('unr_own_legacy');
    expect(availableCongestionControls()).not.toContain('unr_own_leg2');
  });

  testWithLinks('a pinned link: detached and unpinned; a legacy map pinned: its pin is found and removed', async () => {
    const linkPin = join(pinDir, 'unr_link');
    const { mapId, linkId } = await register('unr_link', { pin: linkPin });
    expect(unregisterStructOps({ pin: linkPin })).toEqual([{
      kind: 'link', name: 'unr_link', kernelType: 'tcp_congestion_ops', mapId, linkIds: [linkId], pin: linkPin,
      unpinned: [linkPin], warnings: [],
    }]);
    expect(existsSync(linkPin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('unr_own');
    expect(catchBpf(() => unregisterStructOps({ pin: linkPin }))).toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/^nothing is pinned at/) });

    const mapPin = join(pinDir, 'unr_legacy');
    const pinnedLegacy = async (): Promise<number> => {
      const obj = await openObject(UNR_OBJECT);
      try {
        const map = obj.structOps.get('unr_legacy')!;
        await obj.load();
        await map.attach({ persist: true });
        map.pin(mapPin);
        return map.id;
      } finally {
        obj.close();
      }
    };
    // By name: the pin is found on bpffs.
    const byName = await pinnedLegacy();
    expect(unregisterStructOps({ name: 'unr_legacy' })).toEqual([expect.objectContaining({ kind: 'legacy', mapId: byName, unpinned: [mapPin], warnings: [] })]);
    expect(existsSync(mapPin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('unr_own_legacy');
    // By its pin.
    const byPin = await pinnedLegacy();
    expect(unregisterStructOps({ pin: mapPin })).toEqual([{
      kind: 'legacy', name: 'unr_legacy', kernelType: 'tcp_congestion_ops', mapId: byPin, linkIds: [], pin: mapPin,
      unpinned: [mapPin], warnings: [],
    }]);
    expect(existsSync(mapPin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('unr_own_legacy');
  });

  test('bad targets: an id that is no map id, a name nothing has, a path off bpffs', () => {
    for (const id of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(catchBpf(() => findRegistrations({ id }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/^a map id is an integer from 1 to 4294967295/) });
    }
    expect(catchBpf(() => findRegistrations({ name: 'unr_nosuch' }))).toMatchObject({ code: 'ENOENT', map: 'unr_nosuch', hint: expect.any(String) });
    expect(catchBpf(() => findRegistrations({ pin: scratch }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/not on a BPF filesystem/) });
  });

  testWithLinks('a pin that cannot be removed: the registration still ends, the pin is a warning', async () => {
    // A bpffs of this test's own, mounted read-only: unlink() of the pin fails with EROFS.
    const fs = join(scratch, 'bpffs');
    mkdirSync(fs);
    execFileSync('mount', ['-t', 'bpf', 'bpf', fs]);
    try {
      const pin = join(fs, 'unr_link');
      const { mapId } = await register('unr_link', { pin });
      execFileSync('mount', ['-o', 'remount,bind,ro', fs]);
      const [done] = unregisterStructOps({ pin });
      expect(done).toMatchObject({ kind: 'link', mapId, unpinned: [] });
      expect(done.warnings).toEqual([expect.objectContaining({
        code: 'EROFS', message: expect.stringMatching(new RegExp(`^the pin ${pin} remains \\(`)), hint: `remove it with rm ${pin}`,
      })]);
      expect(availableCongestionControls()).not.toContain('unr_own');
      expect(existsSync(pin)).toBe(true);
    } finally {
      execFileSync('umount', [fs]);
    }
  });
});
