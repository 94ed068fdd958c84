// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * `__arena` globals: clang puts variables in address space 1 into section `.addr_space.1`.
 * As libbpf does, they live in the object's one BPF_MAP_TYPE_ARENA map, at its END (the
 * last round_up(section size, page size) bytes; the first pages stay free for
 * bpf_arena_alloc_pages), and the instructions that load their addresses become
 * BPF_PSEUDO_MAP_VALUE loads of the arena map at that offset (relocations.ts).
 */
import { BpfError } from '../../errors';
import { ElfFile, SHT_NOBITS } from '../../elf';
import { BpfMapType } from '../../sys';
import type { ArenaGlobalsSpec, MapSpec } from '../spec';

/** The section clang gives `__attribute__((address_space(1)))` variables. */
export const ARENA_SECTION = '.addr_space.1';

/** Bytes user space maps for an ARENA map (libbpf's bpf_map_mmap_sz): max_entries pages. */
export function arenaMmapSize(maxEntries: number, pageSize: number): number {
  return maxEntries * pageSize;
}

/**
 * Where the globals start in the arena: mmap size - round_up(size, page size).
 *
 * @throws {BpfError} E2BIG when the rounded-up globals do not fit in the arena
 */
export function arenaGlobalsOffset(
  arena: Pick<MapSpec, 'name' | 'maxEntries'>, size: number, pageSize: number, object?: string,
): number {
  const mmapSize = arenaMmapSize(arena.maxEntries, pageSize);
  const reserved = Math.ceil(size / pageSize) * pageSize;
  if (reserved > mmapSize) {
    throw new BpfError(
      `section ${ARENA_SECTION}: ARENA map ${arena.name} (${mmapSize} bytes) is too small for ${size} bytes of __arena globals`,
      {
        code: 'E2BIG', object, map: arena.name, section: ARENA_SECTION,
        hint: `raise max_entries of ${arena.name} to at least ${reserved / pageSize} pages (page size ${pageSize})`,
      },
    );
  }
  return mmapSize - reserved;
}

/**
 * Finds `.addr_space.1` and gives its data to the object's ARENA map (`arenaGlobals`).
 * Objects without the section are left as they are.
 *
 * @throws {BpfError} EINVAL when the object has no ARENA map or more than one; E2BIG when
 *   the globals do not fit the arena
 */
export function collectArenaGlobals(elf: ElfFile, maps: MapSpec[], pageSizeOf: () => number, object: string): void {
  const section = elf.section(ARENA_SECTION);
  if (section === undefined || section.size === 0) return;
  const pageSize = pageSizeOf();
  const arenas = maps.filter((m) => m.kind === 'user' && m.type === BpfMapType.ARENA);
  if (arenas.length !== 1) {
    throw new BpfError(
      arenas.length === 0
        ? `section ${ARENA_SECTION}: __arena globals need a BPF_MAP_TYPE_ARENA map, and the object has none`
        : `section ${ARENA_SECTION}: __arena globals need exactly one ARENA map, the object has ${arenas.length} (${arenas.map((m) => m.name).join(', ')})`,
      {
        code: 'EINVAL', object, section: ARENA_SECTION,
        hint: 'declare one map with __uint(type, BPF_MAP_TYPE_ARENA) in SEC(".maps"); the globals live in it',
      },
    );
  }
  const arena = arenas[0];
  const globals: ArenaGlobalsSpec = {
    section: ARENA_SECTION,
    sectionIndex: section.index,
    size: section.size,
    offset: arenaGlobalsOffset(arena, section.size, pageSize, object),
    pageSize,
    initialData: section.type === SHT_NOBITS ? Buffer.alloc(section.size) : Buffer.from(section.data),
  };
  arena.arenaGlobals = globals;
}
