/**
 * BPF arenas against the running kernel (fixture s11arena): load maps the arena and copies
 * the `__arena` globals to its last page; a syscall program run by BPF_PROG_TEST_RUN writes
 * globals and a page from bpf_arena_alloc_pages, which Node sees in the mapping, and reads
 * a value Node wrote there; bpftool agrees on the map; close unmaps it and releases every fd.
 * On a kernel without arenas (6.1) the load is refused with EOPNOTSUPP and the arena hint;
 * on one whose policy refuses arenas to root, with EPERM and the policy hint.
 */
import { readFileSync } from 'node:fs';
import { ARENA_HINT, ARENA_REFUSED_HINT, BpfError, BpfObject, openObject } from '../../lib';
import { BPF_F_MMAPABLE, BpfMapType, mapCreate } from '../../lib/sys';
import { ARENA_FIXTURE, ARENA_GLOBALS_SIZE, ARENA_PAGES, ARENA_VARS, arenaState, patchArenaDef } from '../helpers/arena';
import { bpftoolJson } from '../helpers/bpftool';
import { describeKernel, kernelAvailable, openFdCount } from '../helpers/kernel';

const MAP_EXTRA = 0x3f00000000n;
const PAGE = 4096;

/** Lines of /proc/self/maps of the arena's mapping (a bpf-map file mapped at map_extra). */
function arenaMappings(): number {
  const start = MAP_EXTRA.toString(16);
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.startsWith(`${start}-`) && l.includes('bpf')).length;
}

const arenas = kernelAvailable ? arenaState() : 'no';

/** One open+load of the arena fixture: the error it fails with (undefined when it loads). */
async function loadAttempt(): Promise<unknown> {
  const obj = await openObject(ARENA_FIXTURE);
  try {
    return await obj.load().then(() => undefined, (e: unknown) => e);
  } finally {
    obj.close();
  }
}

describeKernel('BPF arena (s11arena fixture)', () => {
  if (arenas === 'refused') {
    test('a kernel that refuses arenas to a privileged process: EPERM naming the map, with the policy hint, no fd left', async () => {
      const err = await loadAttempt();
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({
        code: 'EPERM', map: 'arena_pages', hint: ARENA_REFUSED_HINT,
        message: 'map arena_pages: the kernel refused to create a BPF arena (EPERM) although this process has CAP_BPF and CAP_SYS_ADMIN',
      });
      const fds = openFdCount();
      expect(await loadAttempt()).toMatchObject({ code: 'EPERM', map: 'arena_pages' });
      expect(openFdCount()).toBeLessThanOrEqual(fds);
      // The refusal is the kernel's: the same ARENA map made by hand gets EPERM too.
      expect(() => mapCreate({ mapType: BpfMapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: BPF_F_MMAPABLE }))
        .toThrow(expect.objectContaining({ code: 'EPERM' }));
    });
    return;
  }
  if (arenas === 'no') {
    test('a kernel without arenas refuses the ARENA map with EOPNOTSUPP and the hint', async () => {
      const err = await loadAttempt();
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EOPNOTSUPP', map: 'arena_pages', hint: ARENA_HINT });
      // The first attempt may open what a process keeps once (the kernel BTF reader, probe
      // results); a second one leaves nothing more open.
      const fds = openFdCount();
      expect(await loadAttempt()).toMatchObject({ code: 'EOPNOTSUPP', map: 'arena_pages' });
      expect(openFdCount()).toBeLessThanOrEqual(fds);
    });
    return;
  }

  let obj: BpfObject;
  let fdBaseline = 0;
  let mapBaseline = 0;
  const globalsOffset = ARENA_PAGES * PAGE - PAGE;

  beforeAll(async () => {
    fdBaseline = openFdCount();
    mapBaseline = arenaMappings();
    obj = await openObject(ARENA_FIXTURE, { name: 's11arena.bpf.o' });
    await obj.load();
  });

  afterAll(() => obj?.close());

  const arena = () => obj.maps.get('arena_pages')!;
  const run = (): number => obj.programs.get('arena_run')!.testRun().retval;

  test('load mapped the arena at map_extra, with the globals at its last page', () => {
    const view = arena().mmap();
    expect(view).toBe(arena().mmap()); // one mapping per arena
    expect(view.address).toBe(MAP_EXTRA);
    expect(view.bytes.length).toBe(ARENA_PAGES * PAGE);
    expect(view.globalsOffset).toBe(globalsOffset);
    expect(arenaMappings()).toBe(mapBaseline + 1);
    const g = view.bytes.subarray(globalsOffset, globalsOffset + ARENA_GLOBALS_SIZE);
    expect(g.readUInt32LE(ARENA_VARS.arena_magic)).toBe(0x5a11a7e1);
    expect(g.readBigUInt64LE(ARENA_VARS.arena_counter)).toBe(40n);
    expect(g.subarray(ARENA_VARS.arena_tag, ARENA_VARS.arena_tag + 8).toString('latin1')).toBe('s11arna\0');
    expect(obj.readGlobals('.addr_space.1')).toMatchObject({ arena_magic: 0x5a11a7e1, arena_counter: 40n, arena_tag: 's11arna' });
  });

  test('the program writes globals and an allocated page; Node sees the exact bytes', () => {
    const view = arena().mmap();
    view.bytes.writeUInt32LE(0xc0ffee, globalsOffset + ARENA_VARS.arena_from_user);
    // The return value proves the program read what Node wrote: arena_from_user ^ arena_magic.
    expect(run()).toBe((0xc0ffee ^ 0x5a11a7e1) >>> 0);
    const g = obj.readGlobals('.addr_space.1');
    expect(g).toMatchObject({ arena_seen: 0xc0ffee, arena_counter: 42n, arena_from_user: 0xc0ffee });
    // bpf_arena_alloc_pages gave the first free page: page 0 (the globals hold the last one).
    const page = g.arena_page as bigint;
    expect(page).toBe(MAP_EXTRA);
    const at = Number(page - view.address);
    expect(view.bytes.readBigUInt64LE(at)).toBe(0x1122334455667788n);
    expect(view.bytes.readBigUInt64LE(at + 8)).toBe(0xc0ffeen);
    // A second run allocates the next page.
    view.bytes.writeUInt32LE(7, globalsOffset + ARENA_VARS.arena_from_user);
    expect(run()).toBe((7 ^ 0x5a11a7e1) >>> 0);
    expect(obj.readGlobals('.addr_space.1')).toMatchObject({ arena_page: MAP_EXTRA + BigInt(PAGE), arena_counter: 44n, arena_seen: 7 });
    expect(view.bytes.readBigUInt64LE(PAGE + 8)).toBe(7n);
  });

  test('bpftool map show agrees: an mmapable arena of 4 pages; the kernel keeps map_extra', () => {
    const info = arena().info();
    expect(info).toMatchObject({ type: BpfMapType.ARENA, maxEntries: ARENA_PAGES, mapFlags: BPF_F_MMAPABLE, mapExtra: MAP_EXTRA });
    const shown = bpftoolJson<Record<string, unknown>>('map', 'show', 'id', String(info.id));
    expect(shown).toMatchObject({
      id: info.id, name: 'arena_pages', flags: BPF_F_MMAPABLE, max_entries: ARENA_PAGES, bytes_key: 0, bytes_value: 0,
    });
    // bpftool 7.1 (libbpf 1.1) prints the number; newer ones the name. Neither prints map_extra
    // for arenas, so the kernel's bpf_map_info above is the witness for it.
    expect(['arena', 33]).toContain(shown.type);
  });

  test('close unmaps the arena and releases every fd', () => {
    obj.close();
    expect(arenaMappings()).toBe(mapBaseline);
    expect(openFdCount()).toBeLessThanOrEqual(fdBaseline);
  });

  // After the shared object closed: the fixture's arena has a fixed address, one at a time.
  test('setGlobals(\'.addr_space.1\') before load: load writes the values into the arena', async () => {
    const set = await openObject(ARENA_FIXTURE, { name: 'rbh_arena.bpf.o' });
    try {
      set.setGlobals('.addr_space.1', { arena_from_user: 7, arena_counter: 100n, arena_tag: 'rbh' });
      // Before load: the values load() will write, the others as compiled.
      expect(set.readGlobals('.addr_space.1')).toMatchObject({ arena_from_user: 7, arena_counter: 100n, arena_tag: 'rbh', arena_magic: 0x5a11a7e1 });
      // The spec keeps the file's bytes: another object of it starts from them.
      const fresh = new BpfObject(set.spec);
      expect(fresh.readGlobals('.addr_space.1')).toMatchObject({ arena_from_user: 0, arena_counter: 40n, arena_tag: 's11arna' });
      fresh.close();
      expect(() => set.setGlobals('.addr_space.1', { arena_nope: 1 })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      await set.load();
      const view = set.maps.get('arena_pages')!.mmap();
      expect(view.bytes.readUInt32LE(view.globalsOffset! + ARENA_VARS.arena_from_user)).toBe(7);
      // The program reads them from the arena: retval = arena_from_user ^ arena_magic.
      expect(set.programs.get('arena_run')!.testRun().retval).toBe((7 ^ 0x5a11a7e1) >>> 0);
      expect(set.readGlobals('.addr_space.1')).toMatchObject({ arena_seen: 7, arena_counter: 102n, arena_tag: 'rbh' });
      expect(() => set.setGlobals('.addr_space.1', { arena_from_user: 1 })).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    } finally {
      set.close();
    }
    expect(arenaMappings()).toBe(mapBaseline);
  });

  test('an arena too small for the globals is refused before any kernel object exists', async () => {
    const fds = openFdCount();
    const err = await openObject(patchArenaDef('max_entries', 0)).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ name: 'BpfError', code: 'E2BIG', map: 'arena_pages' });
    expect(openFdCount()).toBe(fds);
  });

  test('.addr_space.1 without an ARENA map is refused at open (EINVAL, hint)', async () => {
    const err = await openObject(patchArenaDef('type', BpfMapType.ARRAY)).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ name: 'BpfError', code: 'EINVAL', section: '.addr_space.1', hint: expect.stringMatching(/ARENA/) });
  });
});
