// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Map blueprints: how a map is to be created (type, sizes, flags, BTF ids, initial data),
 * decided by the open phase from an object file's bytes. BpfMap keeps the one it was made from.
 */
export type MapKind = 'user' | 'data' | 'kconfig' | 'struct_ops';

/** A map the object defines (BTF `.maps`, global data, `.kconfig`, or a struct_ops variable). */
export interface MapSpec {
  /** Name in the object: variable name for `.maps`/struct_ops, section name for data (`.bss`). */
  name: string;
  /** Name given to the kernel (≤ 15 chars; libbpf's `<obj8><section>` for data maps). */
  kernelName: string;
  kind: MapKind;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** Bytes written to key 0 right after creation (global data). */
  initialData?: Buffer;
  /** MAP_FREEZE after populating (`.rodata`, `.kconfig`). */
  freeze: boolean;
  /** ELF section the map comes from. */
  section: string;
  /** ELF section index for data maps (relocations point at it). */
  sectionIndex?: number;
  /** LIBBPF_PIN_BY_NAME requested in the map definition. */
  pinByName: boolean;
  /** Map-in-map: the inner map definition (`__array(values, struct ...)`), the template at create. */
  inner?: MapSpec;
  /** Map-in-map: map name set in each slot at load (`values = { [1] = &other }`), null for empty slots. */
  initialSlots?: (string | null)[];
  /** ARENA map: the object's `__arena` globals it holds (section `.addr_space.1`). */
  arenaGlobals?: ArenaGlobalsSpec;
}

/** The `__arena` globals of an object, placed at the end of its ARENA map as libbpf does. */
export interface ArenaGlobalsSpec {
  /** `.addr_space.1`. */
  section: string;
  sectionIndex: number;
  /** Section size in bytes. */
  size: number;
  /** Byte offset of the globals in the arena: mmap size - round_up(size, pageSize). */
  offset: number;
  /** The page size the offset was computed for (max_entries counts pages of this size). */
  pageSize: number;
  /** The section's bytes, copied into the mapped arena at `offset` after the map is created. */
  initialData: Buffer;
}
