/**
 * Rules of unregister.ts that guard the time between findRegistrations() and
 * reg.unregister() (issue 14, rule deletion): the kernel state a registration was found in
 * changes before it is ended. The map is freed meanwhile ('gone'); the pin is replaced by
 * another registration, which must not be ended in its place ('gone'); a legacy map ended
 * once already is EINPROGRESS; and a reopen the kernel refuses (a link by id while this
 * process has no free fd: EMFILE; a pin that became a directory: EACCES) leaves the
 * registration as it was ('still registered').
 *
 * Kernel objects are named rdun_*: a copy of swap_a.bpf.o with every swap_ renamed rdun_
 * (maps rdun_a, link-based, and rdun_legacy), algorithms set per test (rdun_*), pins under
 * /sys/fs/bpf/rdun_<pid>. Every object, pin and registration is released after each test.
 *
 * Not reachable, so not here: dump.ts's "value type ... is in no loaded kernel BTF" (the
 * resolver fails only for a module's BTF that is gone or an id vmlinux BTF lacks; a
 * struct_ops map holds a reference on its type's module, so the module cannot be unloaded
 * under it, and vmlinux BTF, read once per process from /sys/kernel/btf, has every value
 * type the kernel created a map from) and "has no struct member data" (the kernel takes a
 * value type bpf_struct_ops_<T> only with members common and data, data of type T, and
 * creates a map only of such a type: the last test checks that against the running kernel).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFFS_ROOT, ensureBpffsDir, findRegistrations, openLinkById, openObject, unregisterStructOps, type BpfObject } from '../../lib';
import { BtfKind, loadKernelBtf, type BtfComposite } from '../../lib/btf';
import { availableCongestionControls } from '../../lib/demo';
import { BpfError } from '../../lib/errors';
import { structOpsDump, structOpsShow } from '../helpers/bpftool';
import { eventually } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { catchBpf } from '../helpers/errors';
import { fixture } from '../helpers/fixtures';
import { skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';
import { describeKernel } from '../helpers/kernel';

const scratch = mkdtempSync(join(tmpdir(), 'struct-ops-rdun-'));
/** swap_a.bpf.o with every swap_ renamed rdun_ (same length): maps rdun_a and rdun_legacy. */
const RDUN_OBJECT = join(scratch, 'rdun.bpf.o');
const pinDir = join(BPFFS_ROOT, `rdun_${process.pid}`);
const objects: BpfObject[] = [];

const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('rdun_'));

/** Opens and loads a copy of the rdun object, its algorithms named `link` and `legacy`; closed after the test. */
async function load(names: { link?: string; legacy?: string }): Promise<BpfObject> {
  const obj = await openObject(RDUN_OBJECT);
  objects.push(obj);
  obj.structOps.get('rdun_a')!.value.name = names.link ?? 'rdun_unused';
  obj.structOps.get('rdun_legacy')!.value.name = names.legacy ?? 'rdun_unused_leg';
  skipLinkMapsIfUnsupported(obj);
  await obj.load();
  return obj;
}

/**
 * The state of a struct_ops map as bpftool dumps it, e.g. 'BPF_STRUCT_OPS_STATE_INUSE':
 * `common.state`, or `state` where the value type has no `common` (Linux 6.1).
 */
function bpftoolState(mapId: number): unknown {
  const value = structOpsDump(mapId).find((o) => 'bpf_struct_ops_tcp_congestion_ops' in o);
  if (!value) throw new Error(`bpftool struct_ops dump id ${mapId} printed no bpf_struct_ops_tcp_congestion_ops`);
  const v = value.bpf_struct_ops_tcp_congestion_ops as { common?: { state: unknown }; state?: unknown };
  return v.common ? v.common.state : v.state;
}

/**
 * The struct_ops map link `linkId` registers (0 once detached), from BPF_OBJ_GET_INFO_BY_FD
 * on the link (bpftool 7.1 does not print a struct_ops link's map id).
 */
function linkMapId(linkId: number): number {
  const link = openLinkById(linkId);
  try {
    return link.info().structOpsMapId ?? 0;
  } finally {
    link.close();
  }
}

function nofileLimit(): { soft: string; hard: string } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
  return { soft, hard };
}

function setNofile(soft: string, hard: string): void {
  const r = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`prlimit --nofile=${soft}:${hard} failed (${r.status ?? r.error?.message}) with ${readdirSync('/proc/self/fd').length} fds open`);
  if (nofileLimit().soft !== soft) throw new Error(`RLIMIT_NOFILE is ${nofileLimit().soft}, not ${soft}`);
}

/** Free fd numbers above the highest open fd while `fn` runs, all taken by fillers. */
const FD_HEADROOM = 64;

/**
 * Runs `fn` while this process cannot open one more fd (RLIMIT_NOFILE lowered above the
 * highest fd open, every free number below it taken by /dev/null), so the kernel refuses
 * any call that makes an fd with EMFILE; returns what it returned or threw. Synchronous
 * throughout: nothing else in the process runs meanwhile. The limit keeps FD_HEADROOM
 * numbers above the highest fd, and prlimit runs without pipes: with 8, CI's full runs on
 * Node 22 and 24 could not spawn prlimit to restore the limit once the fillers were closed
 * (EMFILE), and the limit left low failed every later test and Jest's own exit.
 */
function withoutFreeFd(fn: () => unknown): { error?: unknown } {
  const { soft, hard } = nofileLimit();
  const top = Math.max(...readdirSync('/proc/self/fd').map(Number));
  const fillers: number[] = [];
  const limit = top + FD_HEADROOM;
  setNofile(String(limit), hard);
  try {
    for (;;) {
      try {
        fillers.push(openSync('/dev/null', 'r'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EMFILE') break;
        throw err;
      }
      if (fillers.length > limit) throw new Error('RLIMIT_NOFILE did not stop openSync');
    }
    try {
      fn();
      return {};
    } catch (error) {
      return { error };
    }
  } finally {
    for (const fd of fillers) closeSync(fd);
    setNofile(soft, hard);
  }
}

describeKernel('unregister: the kernel state changes between findRegistrations() and unregister()', () => {
  beforeAll(() => {
    const b = readFileSync(fixture('swap_a'));
    for (let i = b.indexOf('swap_'); i >= 0; i = b.indexOf('swap_', i + 1)) b.write('rdun_', i, 'latin1');
    writeFileSync(RDUN_OBJECT, b);
    // Not mkdirSync(recursive): where no bpffs is mounted yet, Node 20's loops forever in sysfs.
    ensureBpffsDir(pinDir);
  });

  afterEach(async () => {
    for (const obj of objects.splice(0)) obj.close();
    rmSync(pinDir, { recursive: true, force: true });
    ensureBpffsDir(pinDir);
    unregisterLeftovers(['rdun_']);
    // A link is freed by a kernel work item after its last fd and pin go.
    expect(await eventually(() => ours().length === 0)).toBe(true);
  });

  afterAll(() => {
    for (const obj of objects.splice(0)) obj.close();
    rmSync(pinDir, { recursive: true, force: true });
    unregisterLeftovers(['rdun_']);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('legacy by id, unregistered elsewhere meanwhile and its map freed: ENOENT "no longer exists", nothing else touched', async () => {
    const obj = await load({ legacy: 'rdun_leg_gone' });
    const map = obj.structOps.get('rdun_legacy')!;
    await map.attach({ persist: true });
    const mapId = map.id;
    // The registration alone keeps the map now.
    obj.close();
    const [mine] = findRegistrations({ id: mapId });
    const [theirs] = findRegistrations({ id: mapId });
    expect([mine.kind, mine.info?.state]).toEqual(['legacy', 'INUSE']);
    // Someone else ends it first: the last reference goes with it, and so does the map id.
    expect(theirs.unregister()).toMatchObject({ kind: 'legacy', mapId });
    expect(structOpsShow().some((s) => s.id === mapId)).toBe(false);

    const e = catchBpf(() => mine.unregister());
    expect(e).toMatchObject({
      code: 'ENOENT',
      message: `tcp_congestion_ops rdun_legacy id ${mapId} no longer exists (unregistered elsewhere meanwhile); nothing was unregistered`,
      hint: 'see what is registered with `struct-ops show`',
    });
    expect(availableCongestionControls()).not.toContain('rdun_leg_gone');
  });

  test('legacy unregistered twice while its object keeps the map: EINPROGRESS "already being unregistered"', async () => {
    const obj = await load({ legacy: 'rdun_leg_twice' });
    const map = obj.structOps.get('rdun_legacy')!;
    await map.attach();
    const [reg] = findRegistrations({ id: map.id });
    expect(reg.kind).toBe('legacy');
    expect(reg.unregister()).toEqual({
      kind: 'legacy', name: 'rdun_legacy', kernelType: 'tcp_congestion_ops', mapId: map.id, linkIds: [], unpinned: [], warnings: [],
    });
    expect(availableCongestionControls()).not.toContain('rdun_leg_twice');
    // The object's fd keeps the map; the kernel leaves it TOBEFREE.
    expect(bpftoolState(map.id)).toBe('BPF_STRUCT_OPS_STATE_TOBEFREE');

    const e = catchBpf(() => reg.unregister());
    expect(e).toMatchObject({
      code: 'EINPROGRESS',
      message: `tcp_congestion_ops rdun_legacy id ${map.id} is already being unregistered`,
    });
    expect(bpftoolState(map.id)).toBe('BPF_STRUCT_OPS_STATE_TOBEFREE');
    // Found again: still the same, refused the same way.
    const [again] = findRegistrations({ id: map.id });
    expect(again.info?.state).toBe('TOBEFREE');
    expect(catchBpf(() => again.unregister())).toMatchObject({ code: 'EINPROGRESS', message: e.message });
  });

  test('a pinned legacy map whose pin now holds another registered map: ENOENT "no longer exists", the other one stays registered', async () => {
    const path = join(pinDir, 'rdun_legacy');
    const a = await load({ legacy: 'rdun_pin_a' });
    const mapA = a.structOps.get('rdun_legacy')!;
    await mapA.attach();
    mapA.pin(path);
    const [mine] = findRegistrations({ pin: path });
    expect([mine.kind, mine.info?.id, mine.pins]).toEqual(['legacy', mapA.id, [path]]);

    // Meanwhile: someone else ends A (and removes its pin), A is freed, B is pinned there.
    expect(unregisterStructOps({ id: mapA.id })).toEqual([expect.objectContaining({ kind: 'legacy', mapId: mapA.id, unpinned: [path] })]);
    const idA = mapA.id;
    a.close();
    const b = await load({ legacy: 'rdun_pin_b' });
    const mapB = b.structOps.get('rdun_legacy')!;
    await mapB.attach();
    mapB.pin(path);

    const e = catchBpf(() => mine.unregister());
    expect(e).toMatchObject({
      code: 'ENOENT',
      message: `tcp_congestion_ops rdun_legacy id ${idA} pinned at ${path} no longer exists (unregistered elsewhere meanwhile); nothing was unregistered`,
      hint: 'see what is registered with `struct-ops show`',
    });
    // B, which the pin holds now, was not ended, and its pin stays.
    expect(bpftoolState(mapB.id)).toBe('BPF_STRUCT_OPS_STATE_INUSE');
    expect(availableCongestionControls()).toContain('rdun_pin_b');
    expect(existsSync(path)).toBe(true);
  });

  testWithLinks('a pinned link whose pin now holds another link: ENOENT "no longer exists", the other link stays attached', async () => {
    const path = join(pinDir, 'rdun_a');
    const a = await load({ link: 'rdun_link_a' });
    const linkA = await a.structOps.get('rdun_a')!.attach();
    linkA.pin(path);
    const idA = linkA.id;
    const mapA = a.structOps.get('rdun_a')!.id;
    const [mine] = findRegistrations({ pin: path });
    expect([mine.kind, mine.info?.id, mine.pins]).toEqual(['link', mapA, [path]]);

    // Meanwhile: someone else detaches A's link and removes the pin; B's link is pinned there.
    expect(unregisterStructOps({ pin: path })).toEqual([expect.objectContaining({ kind: 'link', mapId: mapA, linkIds: [idA], unpinned: [path] })]);
    const b = await load({ link: 'rdun_link_b' });
    const mapB = b.structOps.get('rdun_a')!;
    const linkB = await mapB.attach();
    linkB.pin(path);
    expect(linkB.id).not.toBe(idA);

    const e = catchBpf(() => mine.unregister());
    expect(e).toMatchObject({
      code: 'ENOENT',
      message: `link id ${idA} pinned at ${path} no longer exists (unregistered elsewhere meanwhile); nothing was unregistered`,
      hint: 'see what is registered with `struct-ops show`',
    });
    // B's link still registers B, and its pin stays.
    expect(linkMapId(linkB.id)).toBe(mapB.id);
    expect(availableCongestionControls()).toContain('rdun_link_b');
    expect(existsSync(path)).toBe(true);
  });

  testWithLinks('a link-based map whose link cannot be reopened (EMFILE): "still registered", and it is', async () => {
    const obj = await load({ link: 'rdun_link_mfile' });
    const map = obj.structOps.get('rdun_a')!;
    const link = await map.attach();
    const [reg] = findRegistrations({ id: map.id });
    expect([reg.kind, reg.info?.linkIds]).toEqual(['link', [link.id]]);

    const { error } = withoutFreeFd(() => reg.unregister());
    expect(error).toBeInstanceOf(BpfError);
    const e = error as BpfError;
    expect(e).toMatchObject({ code: 'EMFILE', errno: 24, command: 'BPF_LINK_GET_FD_BY_ID', cause: expect.objectContaining({ code: 'EMFILE' }) });
    const inner = (e.cause as BpfError).message;
    expect(e.message).toBe(`cannot unregister tcp_congestion_ops rdun_a map id ${map.id} link id ${link.id}: ${inner}; it is still registered`);
    // As it was: the link registers the map, the algorithm is there.
    expect(linkMapId(link.id)).toBe(map.id);
    expect(availableCongestionControls()).toContain('rdun_link_mfile');

    // With an fd to spare, the same registration ends.
    expect(reg.unregister()).toMatchObject({ kind: 'link', mapId: map.id, linkIds: [link.id] });
    expect(linkMapId(link.id)).toBe(0);
    expect(availableCongestionControls()).not.toContain('rdun_link_mfile');
  });

  test('a pinned legacy map whose pin became a directory: the kernel refuses to open it, "still registered", and it is', async () => {
    const path = join(pinDir, 'rdun_legacy');
    const obj = await load({ legacy: 'rdun_leg_dir' });
    const map = obj.structOps.get('rdun_legacy')!;
    await map.attach();
    map.pin(path);
    const [reg] = findRegistrations({ pin: path });
    expect([reg.kind, reg.info?.state]).toEqual(['legacy', 'INUSE']);

    // Meanwhile the pin is removed and a directory made in its place: BPF_OBJ_GET refuses it.
    rmSync(path);
    mkdirSync(path);
    const e = catchBpf(() => reg.unregister());
    expect(e).toMatchObject({ code: 'EACCES', errno: 13, command: 'BPF_OBJ_GET', cause: expect.objectContaining({ code: 'EACCES' }) });
    const inner = (e.cause as BpfError).message;
    expect(e.message).toBe(`cannot unregister tcp_congestion_ops rdun_legacy id ${map.id}: ${inner}; it is still registered`);
    expect(bpftoolState(map.id)).toBe('BPF_STRUCT_OPS_STATE_INUSE');
    expect(availableCongestionControls()).toContain('rdun_leg_dir');
    // The directory was not taken for the pin: nothing removed it.
    expect(existsSync(path)).toBe(true);

    // By id, the same map is ended.
    expect(unregisterStructOps({ id: map.id })).toEqual([expect.objectContaining({ kind: 'legacy', mapId: map.id, unpinned: [] })]);
    expect(availableCongestionControls()).not.toContain('rdun_leg_dir');
  });

  test('why dump.ts cannot meet a value type without "data": the kernel created the map from bpf_struct_ops_<T> { header; data: T }', async () => {
    const obj = await load({});
    const map = obj.structOps.get('rdun_legacy')!;
    const vmlinux = loadKernelBtf();
    const valueType = vmlinux.findByName('bpf_struct_ops_tcp_congestion_ops', BtfKind.STRUCT) as BtfComposite;
    expect(map.info().btfVmlinuxValueTypeId).toBe(valueType.id);
    // The header is `common` (struct bpf_struct_ops_common_value), or `refcnt` and `state`
    // on older kernels (6.1); `data` comes last in both.
    const names = valueType.members.map((m) => m.name);
    expect([['common', 'data'], ['refcnt', 'state', 'data']]).toContainEqual(names);
    const data = vmlinux.resolve(valueType.members[names.length - 1].type);
    expect([data.kind, data.name]).toEqual([BtfKind.STRUCT, 'tcp_congestion_ops']);
  });
});
