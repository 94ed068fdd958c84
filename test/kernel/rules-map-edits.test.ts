/**
 * Rules of map creation in load() that the running kernel is needed for (issue 14, rule
 * deletion), lib/object/load/maps.ts:
 *
 * - mapArena: `__arena` globals placed (at open, `loadObjectSpec(..., { pageSize })`) for
 *   another page size than the system's are refused once the arena exists, before it is
 *   mapped or any program is verified against it. Only where the kernel creates arenas:
 *   elsewhere load()'s arena gate (requireArena) refuses the object first, which is checked.
 * - fillInitialSlots: a map-in-map's initial slot (`.values = { [2] = &s11_dsq1 }`) naming a
 *   map the load did not create (its autocreate switched off) is refused, naming the slot.
 *
 * - BpfMap's edit guards (lib/maps/map.ts editableData, editableArenaGlobals): once load()
 *   started, a map's own copy of its initial value or `__arena` globals is not handed out
 *   any more, loaded or failed. setGlobals()/resizeGlobals() refuse earlier on the object's
 *   state, so the guards are called directly: they keep an internal caller (or a later
 *   object state) from editing what the kernel already received.
 *
 * Objects are opened under rdmp_* names (their data maps are named after them); s11_maps'
 * struct_ops map is left out (autocreate false), so nothing is registered or pinned, and
 * every object is closed in a finally block.
 */
import { readFileSync } from 'node:fs';
import { ARENA_HINT, ARENA_REFUSED_HINT, BpfError, loadObjectSpec, openObject, type BpfObject } from '../../lib';
import { ARENA_FIXTURE, arenaState } from '../helpers/arena';
import { fixture } from '../helpers/fixtures';
import { describeKernel, kernelAvailable, openFdCount } from '../helpers/kernel';

/**
 * This system's page size, not asked of the library: AT_PAGESZ (6) of the auxiliary vector
 * the kernel gave this process (64-bit type/value pairs; getconf is not in the VM guests).
 */
function systemPageSize(): number {
  const auxv = readFileSync('/proc/self/auxv');
  for (let at = 0; at + 16 <= auxv.length; at += 16) {
    if (auxv.readBigUInt64LE(at) === 6n) return Number(auxv.readBigUInt64LE(at + 8));
  }
  throw new Error('no AT_PAGESZ in /proc/self/auxv');
}
const SYSTEM_PAGE = systemPageSize();

const arenas = kernelAvailable ? arenaState() : 'no';

/** The load error of `obj` (undefined when it loads). */
async function loadError(obj: BpfObject): Promise<unknown> {
  return obj.load().then(() => undefined, (e: unknown) => e);
}

describeKernel('rules of map creation in load() (rdmp_*)', () => {
  describe('__arena globals placed for another page size (lib/object/load/maps.ts mapArena)', () => {
    const arenaBytes = readFileSync(ARENA_FIXTURE);
    const other = SYSTEM_PAGE * 4;
    /** The fixture parsed for `pageSize` (the __arena globals at the last page of that size). */
    const specFor = (pageSize: number) => loadObjectSpec(arenaBytes, 'rdmp_arena.bpf.o', { pageSize });

    if (arenas !== 'yes') {
      // The page-size rule runs once the arena exists: where the kernel creates none, the
      // arena gate of load() (lib/object/load/index.ts, requireArena) refuses it first.
      test(`no arenas here (${arenas}): load() stops at the arena gate, whatever page size the globals were placed for`, async () => {
        for (const pageSize of [other, SYSTEM_PAGE]) {
          const obj = await openObject(specFor(pageSize));
          try {
            const err = await loadError(obj);
            expect(err).toBeInstanceOf(BpfError);
            expect(err).toMatchObject(arenas === 'refused'
              ? { code: 'EPERM', map: 'arena_pages', hint: ARENA_REFUSED_HINT }
              : { code: 'EOPNOTSUPP', map: 'arena_pages', hint: ARENA_HINT });
            expect((err as BpfError).message).not.toMatch(/byte pages/);
          } finally {
            obj.close();
          }
        }
      });
      return;
    }

    test('opened for 4x the system page size, load() refuses the arena with EINVAL naming both sizes, and releases it', async () => {
      const spec = specFor(other);
      expect(spec.maps.find((m) => m.name === 'arena_pages')!.arenaGlobals).toMatchObject({ pageSize: other });
      const fds = openFdCount();
      const obj = await openObject(spec);
      try {
        const err = await loadError(obj);
        expect(err).toBeInstanceOf(BpfError);
        expect(err).toMatchObject({
          code: 'EINVAL', map: 'arena_pages', object: 'rdmp_arena.bpf.o',
          message: `map arena_pages: the __arena globals were placed for ${other}-byte pages, this system has ${SYSTEM_PAGE}-byte pages`,
          hint: 'open the object without the pageSize option (or with this system\'s page size)',
        });
        // The arena was created, then released with the failed load; no program was loaded.
        expect(obj.loaded).toBe(false);
        expect(obj.maps.get('arena_pages')!.loaded).toBe(false);
        expect(obj.programs.get('arena_run')!.loaded).toBe(false);
      } finally {
        obj.close();
      }
      expect(openFdCount()).toBeLessThanOrEqual(fds);
    });

    test('opened for the system page size given explicitly, the same object loads and maps its globals', async () => {
      const obj = await openObject(specFor(SYSTEM_PAGE));
      try {
        await obj.load();
        expect(obj.readGlobals('.addr_space.1')).toMatchObject({ arena_magic: 0x5a11a7e1, arena_counter: 40n });
      } finally {
        obj.close();
      }
    });
  });

  describe('a map-in-map slot naming a map this load did not create (lib/object/load/maps.ts fillInitialSlots)', () => {
    /** s11_maps (s11_dsqs = { [0] = &s11_dsq0, [2] = &s11_dsq1 }) under an rdmp_ name, struct_ops left out. */
    async function openMaps(): Promise<BpfObject> {
      const obj = await openObject(readFileSync(fixture('s11_maps')), { name: 'rdmp_maps.bpf.o' });
      for (const s of obj.structOps.values()) s.autocreate = false;
      return obj;
    }

    test('inner map s11_dsq1 (slot 2) left out: ENOENT naming the outer map, the slot and the target, nothing kept', async () => {
      const fds = openFdCount();
      const obj = await openMaps();
      try {
        obj.maps.get('s11_dsq1')!.autocreate = false;
        const err = await loadError(obj);
        expect(err).toBeInstanceOf(BpfError);
        expect(err).toMatchObject({
          code: 'ENOENT', map: 's11_dsqs', object: 'rdmp_maps.bpf.o',
          message: 'map s11_dsqs: slot 2 names map s11_dsq1, which this load did not create',
          hint: 'an initial slot cannot point at a map that is not auto-created',
        });
        expect(obj.loaded).toBe(false);
        expect(obj.maps.get('s11_dsqs')!.loaded).toBe(false);
        expect(obj.maps.get('s11_dsq0')!.loaded).toBe(false);
      } finally {
        obj.close();
      }
      expect(openFdCount()).toBeLessThanOrEqual(fds);
    });

    test('an inner map no slot names (s11_dsq2) left out: the load succeeds with slots 0 and 2 filled', async () => {
      const obj = await openMaps();
      try {
        obj.maps.get('s11_dsq2')!.autocreate = false;
        await obj.load();
        const outer = obj.maps.get('s11_dsqs')!;
        expect(outer.innerId(0)).toBe(obj.maps.get('s11_dsq0')!.id);
        expect(outer.innerId(1)).toBeUndefined();
        expect(outer.innerId(2)).toBe(obj.maps.get('s11_dsq1')!.id);
        expect(obj.maps.get('s11_dsq2')!.loaded).toBe(false);
      } finally {
        obj.close();
      }
    });
  });
  describe("a map's initial value after load() started (lib/maps/map.ts edit guards)", () => {
    const busy = (name: string) => ({ code: 'EBUSY', map: name, message: `map ${name}: its initial value cannot change after load()` });

    test('loaded: .data and .bss refuse a copy to edit, and keep what the kernel holds', async () => {
      const obj = await openObject(readFileSync(fixture('s11_maps')), { name: 'rdmp_edits.bpf.o' });
      try {
        for (const s of obj.structOps.values()) s.autocreate = false;
        const data = obj.maps.get('.data')!;
        const before = data.editableData(); // allowed before load: the object's own copy
        expect(before.length).toBe(data.valueSize);
        await obj.load();
        for (const name of ['.data', '.bss']) {
          const map = obj.maps.get(name)!;
          expect(() => map.editableData()).toThrow(expect.objectContaining(busy(name)));
          expect(() => map.editableData(map.valueSize * 2)).toThrow(expect.objectContaining(busy(name)));
          expect(map.valueSize).toBe(obj.maps.get(name)!.lookup(0)!.length);
        }
      } finally {
        obj.close();
      }
    });

    test('a failed load closes the edits of the __arena globals too', async () => {
      const obj = await openObject(readFileSync(ARENA_FIXTURE), { name: 'rdmp_arena_edits.bpf.o' });
      try {
        const arena = obj.maps.get('arena_pages')!;
        expect(arena.editableArenaGlobals().length).toBeGreaterThan(0);
        // Loads where the kernel creates arenas, fails at the arena gate elsewhere: either way
        // load() has started and the copy is closed.
        await loadError(obj);
        expect(() => arena.editableArenaGlobals()).toThrow(expect.objectContaining(busy('arena_pages')));
      } finally {
        obj.close();
      }
    });
  });
});
