// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { requireStructOpsLink } from '../../kernel';
import type { StructOpsPlan } from '../../struct-ops';
import { BpfMapType, type Fd, mapCreate, mapFreeze, mapUpdateElem, KEY_ZERO } from '../../sys';
import type { BpfMap } from '../map';
import type { MapSpec } from '../spec';
import { type MapCreateRequest, plainMapAttr } from './attrs';
import { buildKconfigValue } from './kconfig';
import type { LoadTarget } from './target';


/**
 * Creates every map with its attrs from attrs.ts: BTF-defined maps, global data (populated,
 * `.rodata` frozen), the `.kconfig` map (filled from the running kernel's config, frozen)
 * and one BPF_MAP_TYPE_STRUCT_OPS map per planned struct_ops variable. An ARENA map is
 * mapped at once, as libbpf does: the first mapping fixes the arena's address before any
 * program is verified against it, and the `__arena` globals are copied in. Each created fd
 * (and mapping) is handed to its map at once, so a later failure releases it with the object.
 */
export function createMaps(
  t: LoadTarget, requests: MapCreateRequest[], plans: Map<string, StructOpsPlan>, object: string,
): void {
  // Before any map exists: on Linux < 6.4 a link map is EOPNOTSUPP with a hint, not EINVAL.
  for (const name of plans.keys()) if (t.structOps.get(name)!.isLink) requireStructOpsLink(name, object);
  // (An ARENA map on a kernel before 6.9 was refused by loadObject before anything else.)
  const created = new Map<string, BpfMap>();
  for (const { name, map, attr } of requests) {
    const inner = map.spec.inner;
    const fd = withContext(name, object, () => (inner ? createMapInMap(attr, inner) : mapCreate(attr)));
    map.setLoaded(fd);
    created.set(name, map);
    const spec = map.spec;
    if (spec.kind === 'struct_ops') continue;
    if (spec.type === BpfMapType.ARENA) {
      withContext(name, object, () => mapArena(map));
      continue;
    }
    const data = spec.kind === 'kconfig'
      ? buildKconfigValue(t.spec.btf, t.spec.externs, spec.valueSize, object)
      : map.initialData;
    withContext(name, object, () => {
      if (data) mapUpdateElem(fd, KEY_ZERO, data, 0);
      if (spec.freeze) mapFreeze(fd);
    });
  }
  // Slots after every map exists: a slot may name a map defined after its outer map.
  for (const { name, map } of requests) {
    if (map.spec.initialSlots) withContext(name, object, () => fillInitialSlots(map, created));
  }
}

/**
 * Maps a created arena into this process (the mapping the map keeps and `mmap()` returns)
 * and copies the `__arena` globals to their place at its end.
 */
function mapArena(map: BpfMap): void {
  const globals = map.spec.arenaGlobals;
  const pageSize = map.layout.pageSize;
  if (globals && globals.pageSize !== pageSize) {
    throw new BpfError(`the __arena globals were placed for ${globals.pageSize}-byte pages, this system has ${pageSize}-byte pages`, {
      code: 'EINVAL', hint: 'open the object without the pageSize option (or with this system\'s page size)',
    });
  }
  const view = map.mmap();
  // The object's copy when setGlobals('.addr_space.1') edited it, else the section's bytes.
  if (globals) map.arenaGlobalsData!.copy(view.bytes, globals.offset);
}

/**
 * A map-in-map: the kernel copies the inner map's shape from a template map passed as
 * inner_map_fd, which is closed again once the outer map exists (as libbpf does).
 */
function createMapInMap(attr: MapCreateRequest["attr"], inner: MapSpec): Fd {
  const template = mapCreate(plainMapAttr(inner, attr.btfFd ?? 0, true));
  try {
    return mapCreate({ ...attr, innerMapFd: template.raw });
  } finally {
    template.close();
  }
}

/** `values = { [i] = &map }`: slot i (a u32 key, for hash-of-maps too) gets that map's fd. */
function fillInitialSlots(outer: BpfMap, created: Map<string, BpfMap>): void {
  const slots = outer.spec.initialSlots ?? [];
  const key = Buffer.alloc(4);
  const value = Buffer.alloc(4);
  slots.forEach((target, i) => {
    if (target === null) return;
    const map = created.get(target);
    if (!map) {
      throw new BpfError(`slot ${i} names map ${target}, which this load did not create`, {
        code: 'ENOENT', map: outer.name, hint: 'an initial slot cannot point at a map that is not auto-created',
      });
    }
    key.writeUInt32LE(i);
    value.writeUInt32LE(map.fd.raw);
    mapUpdateElem(outer.fd, key, value, 0);
  });
}

function withContext<T>(map: string, object: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BpfError) {
      const e = err as { map?: string; object?: string; message: string };
      e.map ??= map;
      e.object ??= object;
      e.message = `map ${map}: ${err.message}`;
    }
    throw err;
  }
}
