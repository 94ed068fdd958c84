import { BpfError } from '../../errors';
import { requireStructOpsLink } from '../../features';
import type { StructOpsPlan } from '../../struct-ops/plan';
import { mapCreate, mapFreeze, mapUpdateElem } from '../../sys';
import type { MapCreateRequest } from './attrs';
import { buildKconfigValue } from './kconfig';
import type { LoadTarget } from './target';

const KEY0 = Buffer.alloc(4);

/**
 * Creates every map with its attrs from attrs.ts: BTF-defined maps, global data (populated,
 * `.rodata` frozen), the `.kconfig` map (filled from the running kernel's config, frozen)
 * and one BPF_MAP_TYPE_STRUCT_OPS map per planned struct_ops variable. Each created fd is
 * handed to its map at once, so a later failure closes it with the object.
 */
export function createMaps(
  t: LoadTarget, requests: MapCreateRequest[], plans: Map<string, StructOpsPlan>, object: string,
): void {
  // Before any map exists: on Linux < 6.4 a link map is EOPNOTSUPP with a hint, not EINVAL.
  for (const name of plans.keys()) if (t.structOps.get(name)!.isLink) requireStructOpsLink(name, object);
  for (const { name, map, attr } of requests) {
    const fd = withContext(name, object, () => mapCreate(attr));
    map.setLoaded(fd);
    const spec = map.spec;
    if (spec.kind === 'struct_ops') continue;
    const data = spec.kind === 'kconfig'
      ? buildKconfigValue(t.spec.btf, t.spec.externs, spec.valueSize, object)
      : spec.initialData;
    withContext(name, object, () => {
      if (data) mapUpdateElem(fd, KEY0, data, 0);
      if (spec.freeze) mapFreeze(fd);
    });
  }
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
