/**
 * `__arena` globals in the open phase (no kernel): where they go in the arena (libbpf's
 * rule: the last round_up(size, page) bytes), the relocations that address them, the
 * initial values, and the refusals (no ARENA map, globals larger than the arena).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpfError } from '../../../lib/errors';
import { loadObjectSpec, openObject, type InsnRelocation } from '../../../lib/object';
import { arenaGlobalsOffset } from '../../../lib/object/open/arena';
import { ARENA_HINT, arenaUnsupported, decideArena } from '../../../lib/kernel';
import { BpfMapType, pageSizeFromAuxv, systemPageSize } from '../../../lib/sys';
import { ARENA_FIXTURE, ARENA_GLOBALS_SIZE, ARENA_PAGES, ARENA_VARS, patchArenaDef } from '../../helpers/arena';

const bytes = readFileSync(ARENA_FIXTURE);

describe('page size', () => {
  test('AT_PAGESZ is read from auxv pairs, up to AT_NULL', () => {
    const auxv = Buffer.alloc(64);
    auxv.writeBigUInt64LE(33n, 0); // AT_SYSINFO_EHDR
    auxv.writeBigUInt64LE(0x7fffn, 8);
    auxv.writeBigUInt64LE(6n, 16); // AT_PAGESZ
    auxv.writeBigUInt64LE(65536n, 24);
    expect(pageSizeFromAuxv(auxv)).toBe(65536);
    expect(pageSizeFromAuxv(auxv.subarray(0, 16))).toBeUndefined();
    auxv.writeBigUInt64LE(0n, 16); // AT_NULL before AT_PAGESZ
    expect(pageSizeFromAuxv(auxv)).toBeUndefined();
  });

  test('this process\'s page size is what getconf says', () => {
    expect(systemPageSize()).toBe(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
  });
});

describe('arena globals offset (mmap size - round_up(size, page))', () => {
  const arena = { name: 'a', maxEntries: 4 };
  test.each([
    [44, 4096, 12288],
    [4096, 4096, 12288],
    [4097, 4096, 8192],
    [16384, 4096, 0],
    [44, 65536, 196608],
  ])('%i bytes with %i-byte pages start at %i', (size, page, offset) => {
    expect(arenaGlobalsOffset(arena, size, page)).toBe(offset);
  });

  test('globals larger than the arena are E2BIG', () => {
    expect(() => arenaGlobalsOffset(arena, 16385, 4096)).toThrow(expect.objectContaining({
      name: 'BpfError', code: 'E2BIG', map: 'a', message: expect.stringMatching(/16384 bytes\) is too small for 16385 bytes/),
      hint: expect.stringMatching(/at least 5 pages/),
    }));
  });
});

describe('s11arena.bpf.o opened', () => {
  const relocs = (pageSize?: number): InsnRelocation[] =>
    loadObjectSpec(bytes, 's11arena.bpf.o', { pageSize }).programs.find((p) => p.name === 'arena_run')!.relocations;

  test('the ARENA map holds the .addr_space.1 globals at its last page', () => {
    const spec = loadObjectSpec(bytes, 's11arena.bpf.o', { pageSize: 4096 });
    const arena = spec.maps.find((m) => m.name === 'arena_pages')!;
    expect(arena).toMatchObject({ type: BpfMapType.ARENA, maxEntries: ARENA_PAGES, mapExtra: 0x3f00000000n });
    expect(arena.arenaGlobals).toMatchObject({ section: '.addr_space.1', size: ARENA_GLOBALS_SIZE, offset: 3 * 4096, pageSize: 4096 });
    const data = arena.arenaGlobals!.initialData;
    expect(data.readUInt32LE(ARENA_VARS.arena_magic)).toBe(0x5a11a7e1);
    expect(data.readBigUInt64LE(ARENA_VARS.arena_counter)).toBe(40n);
    expect(data.subarray(ARENA_VARS.arena_tag, ARENA_VARS.arena_tag + 8).toString('latin1')).toBe('s11arna\0');
    // No other map gets the section (it is not global data).
    expect(spec.maps.filter((m) => m.arenaGlobals !== undefined)).toHaveLength(1);
  });

  test('each ld_imm64 of a global is a map-value load of the arena at globals offset + variable offset', () => {
    const base = 3 * 4096;
    const arenaRelocs = relocs(4096).filter((r) => r.kind === 'arena');
    expect(arenaRelocs.map((r) => (r as { offset: number }).offset).sort((a, b) => a - b)).toEqual(
      [ARENA_VARS.arena_magic, ARENA_VARS.arena_counter, ARENA_VARS.arena_from_user, ARENA_VARS.arena_page, ARENA_VARS.arena_seen]
        .map((o) => base + o).sort((a, b) => a - b),
    );
    expect(arenaRelocs.every((r) => r.kind === 'arena' && r.map === 'arena_pages')).toBe(true);
    // &arena_pages for bpf_arena_alloc_pages stays a map fd load.
    expect(relocs(4096)).toContainEqual(expect.objectContaining({ kind: 'map', map: 'arena_pages' }));
  });

  test('the offset follows the page size (64 KiB pages: 3 * 65536)', () => {
    const offsets = relocs(65536).filter((r) => r.kind === 'arena').map((r) => (r as { offset: number }).offset);
    expect(Math.min(...offsets)).toBe(3 * 65536 + ARENA_VARS.arena_magic);
  });

  test('readGlobals(".addr_space.1") before load decodes the initial values', async () => {
    const obj = await openObject(ARENA_FIXTURE);
    expect(obj.readGlobals('.addr_space.1')).toEqual({
      arena_magic: 0x5a11a7e1, arena_counter: 40n, arena_tag: 's11arna', arena_from_user: 0, arena_seen: 0, arena_page: 0n,
    });
  });

  test('an invalid pageSize option is a RangeError', () => {
    expect(() => loadObjectSpec(bytes, 'x.bpf.o', { pageSize: 3000 })).toThrow(RangeError);
  });
});

describe('refusals', () => {
  test('.addr_space.1 without an ARENA map is EINVAL with a hint', () => {
    const noArena = patchArenaDef('type', BpfMapType.ARRAY);
    expect(() => loadObjectSpec(noArena, 'noarena.bpf.o')).toThrow(expect.objectContaining({
      name: 'BpfError', code: 'EINVAL', section: '.addr_space.1',
      message: expect.stringMatching(/__arena globals need a BPF_MAP_TYPE_ARENA map, and the object has none/),
      hint: expect.stringMatching(/BPF_MAP_TYPE_ARENA/),
    }));
  });

  test('globals larger than the arena are E2BIG (an arena of 0 pages; 8-byte pages)', () => {
    expect(() => loadObjectSpec(patchArenaDef('max_entries', 0), 'small.bpf.o')).toThrow(expect.objectContaining({
      code: 'E2BIG', map: 'arena_pages', message: expect.stringMatching(/too small for 44 bytes of __arena globals/),
    }));
    // 4 pages of 8 bytes = 32 < round_up(44, 8) = 48.
    expect(() => loadObjectSpec(bytes, 'x.bpf.o', { pageSize: 8 })).toThrow(BpfError);
    expect(() => loadObjectSpec(bytes, 'x.bpf.o', { pageSize: 16 })).not.toThrow();
  });
});

describe('arena feature probe decision', () => {
  test('a created arena means support; EINVAL (unknown type, < 6.9) and EOPNOTSUPP (no JIT) mean none', () => {
    expect(decideArena('created')).toBe(true);
    expect(decideArena('EINVAL')).toBe(false);
    expect(decideArena('EOPNOTSUPP')).toBe(false);
    expect(() => decideArena('EPERM')).toThrow(/unexpected EPERM/);
  });

  test('the refusal names the map, the first kernel and the hint', () => {
    expect(arenaUnsupported('arena_pages', 'x.bpf.o')).toMatchObject({
      code: 'EOPNOTSUPP', map: 'arena_pages', object: 'x.bpf.o', hint: ARENA_HINT,
      message: expect.stringMatching(/^map arena_pages: BPF arenas need Linux 6\.9 or newer/),
    });
  });
});
