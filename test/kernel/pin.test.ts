import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BPFFS_ROOT, BpfLink, BpfObject, ensureBpffsDir, isBpffs, openObject, openPinnedLink, pinnedObject, unpin,
} from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { mapDeleteElem, objGet } from '../../lib/sys';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { eventually, runChild } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { testWithLinks } from '../helpers/features';
import { pushTraffic } from '../helpers/traffic';
import { catchBpf } from '../helpers/errors';

const linkIds = (): number[] => (bpftoolJson<{ id: number }[]>('link', 'show') ?? []).map((l) => l.id);
const mounted = (dir: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);


/** Child: open the pin, load FILE, switch the link to its map MAP, exit. */
const UPDATE_FROM_CHILD = `(async () => {
  const [pin, file, name] = process.argv.slice(1);
  const link = so.openPinnedLink(pin);
  const before = link.info();
  const obj = await so.openObject(file);
  await obj.load();
  link.update(obj.structOps.get(name));
  send('updated', { before: before.structOpsMapId, after: link.info().structOpsMapId, linkId: before.id });
  link.close();
  obj.close();
})().catch(fail);`;

/** Child: register the legacy swap_legacy map WITHOUT persist, pin the map, exit normally. */
const PIN_LEGACY_FROM_CHILD = `(async () => {
  const obj = await so.openObject(process.argv[1]);
  if (!so.probeStructOpsLink()) for (const m of obj.structOps.values()) if (m.isLink) m.autocreate = false; // Linux < 6.4
  await obj.load();
  const map = obj.structOps.get('swap_legacy');
  await map.attach();
  map.pin(process.argv[2]);
  send('pinned', { mapId: map.id });
})().catch(fail);`;

describeKernel('pinning links and maps on bpffs', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  const dirs: string[] = [];
  const mounts: string[] = [];
  let n = 0;
  let baseline = 0;
  const pinDir = (): string => {
    const dir = join(BPFFS_ROOT, `struct-ops-test-${process.pid}-${n++}`);
    dirs.push(dir);
    return dir;
  };
  const open = async (name: string): Promise<BpfObject> => {
    const obj = await openObject(fixture(name));
    objects.push(obj);
    await obj.load();
    return obj;
  };

  beforeAll(() => {
    baseline = openFdCount();
  });
  afterEach(async () => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    // Removing the pins (or the bpffs holding them) ends link registrations they still hold.
    for (const m of mounts.splice(0)) {
      if (mounted(m)) execFileSync('umount', [m]);
      rmSync(m, { recursive: true, force: true });
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    unregisterLeftovers(['swap_']);
    // A link whose last reference was a pin is freed by a kernel work item after the unlink,
    // and only then is its algorithm unregistered: the next test registers the same names
    // (CI saw EEXIST for so_swap on a loaded machine). Wait for them to go.
    expect(await eventually(() => !availableCongestionControls().some((n) => n.startsWith('so_swap')), 30_000)).toBe(true);
  });
  afterAll(async () => {
    // Never more fds than before (jest itself may close some of its own meanwhile).
    expect(openFdCount()).toBeLessThanOrEqual(baseline);
    expect(await eventually(() => !structOpsShow().some((s) => s.name.startsWith('swap_')))).toBe(true);
  });

  testWithLinks('pin -> reopen and update from a second process -> detach -> unpin', async () => {
    const dir = pinDir();
    const path = join(dir, 'sub', 'swap_a');
    const obj = await open('swap_a');
    const map = obj.structOps.get('swap_a')!;
    const link = await map.attach();
    links.push(link);
    link.pin(path); // creates dir/sub on bpffs (mounting /sys/fs/bpf first if needed)
    expect(isBpffs(join(dir, 'sub'))).toBe(true);
    const linkId = link.id;

    // The pin holds the registration once this process lets go of everything.
    link.close();
    obj.close();
    expect(availableCongestionControls()).toContain('so_swap');
    expect(linkIds()).toContain(linkId);

    const child = await runChild(UPDATE_FROM_CHILD, [path, fixture('swap_b'), 'swap_b']);
    const updated = await child.waitFor<{ before: number; after: number; linkId: number }>('updated');
    expect(updated.linkId).toBe(linkId);
    expect(updated.after).not.toBe(updated.before);
    // The child exited; the link (held by the pin) keeps the child's map registered.
    const reopened = openPinnedLink(path);
    links.push(reopened);
    expect(reopened.isLink).toBe(true);
    expect(reopened.map).toBeUndefined();
    expect(reopened.info()).toMatchObject({ id: linkId, structOpsMapId: updated.after });
    expect(structOpsShow().map((s) => s.id)).toContain(updated.after);
    expect((await pushTraffic('so_swap', 4 * 1024 * 1024)).algorithm).toBe('so_swap');

    reopened.detach();
    expect(reopened.info().structOpsMapId).toBe(0);
    expect(availableCongestionControls()).not.toContain('so_swap');
    unpin(path);
    expect(existsSync(path)).toBe(false);
    reopened.close();
    expect(await eventually(() => !linkIds().includes(linkId))).toBe(true);
    expect(await eventually(() => !structOpsShow().some((s) => s.id === updated.after))).toBe(true);
  });

  test('a pinned legacy map keeps its registration after the process exits', async () => {
    const path = join(pinDir(), 'swap_legacy');
    const child = await runChild(PIN_LEGACY_FROM_CHILD, [fixture('swap_a'), path]);
    const { mapId } = await child.waitFor<{ mapId: number }>('pinned');
    expect(availableCongestionControls()).toContain('so_swap_legacy');
    expect(structOpsShow().map((s) => s.id)).toContain(mapId);
    // A pinned map is not a link.
    expect(catchBpf(() => openPinnedLink(path))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/not a BPF link \(bpf-map\)/) });
    const fd = objGet(path);
    mapDeleteElem(fd, Buffer.alloc(4));
    fd.close();
    unpin(path);
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  testWithLinks('mounts bpffs on an empty directory that is not on bpffs, and refuses a non-empty one', async () => {
    const base = mkdtempSync(join(tmpdir(), 'struct-ops-test-'));
    mounts.push(join(base, 'pins'));
    dirs.push(base);
    expect(isBpffs(base)).toBe(false);
    expect(ensureBpffsDir(join(base, 'pins'))).toBe(join(base, 'pins'));
    expect(isBpffs(join(base, 'pins'))).toBe(true);
    expect(mounted(join(base, 'pins'))).toBe(true);
    expect(ensureBpffsDir(join(base, 'pins', 'a', 'b'))).toBeUndefined(); // already bpffs: just mkdir

    const obj = await open('swap_a');
    const link = await obj.structOps.get('swap_a')!.attach();
    links.push(link);
    const path = join(base, 'pins', 'a', 'b', 'swap_a');
    link.pin(path);
    const reopened = openPinnedLink(path);
    links.push(reopened);
    expect(reopened.info().id).toBe(link.id);

    const full = join(base, 'full');
    rmSync(full, { force: true, recursive: true });
    execFileSync('mkdir', [full]);
    writeFileSync(join(full, 'keep'), 'x');
    const err = catchBpf(() => link.pin(join(full, 'swap_a')));
    expect(err).toMatchObject({ code: 'ENOTEMPTY', hint: expect.stringMatching(/mount -t bpf bpf DIR/) });
    expect(mounted(full)).toBe(false);
    expect(readFileSync(join(full, 'keep'), 'utf8')).toBe('x');
  });

  testWithLinks('pinnedObject tells what a pin holds: a link or a map and its kernel id; ENOENT for no pin', async () => {
    const dir = pinDir();
    const obj = await open('swap_a');
    const map = obj.structOps.get('swap_a')!;
    const link = await map.attach();
    links.push(link);
    link.pin(join(dir, 'link'));
    map.pin(join(dir, 'map'));
    expect(pinnedObject(join(dir, 'link'))).toEqual({ kind: 'link', id: link.id });
    expect(pinnedObject(join(dir, 'map'))).toEqual({ kind: 'map', id: map.id });
    expect(catchBpf(() => pinnedObject(join(dir, 'missing')))).toMatchObject({ code: 'ENOENT' });
  });

  testWithLinks('errors: existing pin path, no pin, not bpffs, legacy registrations have no link to pin', async () => {
    const dir = pinDir();
    const obj = await open('swap_a');
    const link = await obj.structOps.get('swap_a')!.attach();
    const legacy = await obj.structOps.get('swap_legacy')!.attach();
    links.push(link, legacy);
    link.pin(join(dir, 'x'));
    // Refused before BPF_OBJ_PIN (whose own EEXIST says nothing), with the way out.
    expect(catchBpf(() => link.pin(join(dir, 'x')))).toMatchObject({
      code: 'EEXIST', message: `cannot pin at ${join(dir, 'x')}: the path exists`, hint: expect.stringMatching(/struct-ops unregister --pin PATH/),
    });
    expect(catchBpf(() => legacy.pin(join(dir, 'y')))).toMatchObject({ code: 'EOPNOTSUPP', hint: expect.stringMatching(/map\.pin/) });
    expect(catchBpf(() => openPinnedLink(join(dir, 'missing')))).toMatchObject({ code: 'ENOENT', hint: expect.any(String) });
    expect(catchBpf(() => unpin(join(dir, 'missing')))).toMatchObject({ code: 'ENOENT' });
    expect(catchBpf(() => link.pin('/proc/struct-ops-test/x'))).toMatchObject({ code: 'ENOENT', hint: expect.stringMatching(/bpffs|BPF filesystem/) });

    const plain = join(mkdtempSync(join(tmpdir(), 'struct-ops-test-')), 'file');
    dirs.push(join(plain, '..'));
    writeFileSync(plain, 'not a pin');
    expect(catchBpf(() => unpin(plain))).toMatchObject({ code: 'EINVAL' });
    expect(existsSync(plain)).toBe(true);
    expect(catchBpf(() => openPinnedLink(plain))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/not on a BPF filesystem/) });
  });
});
