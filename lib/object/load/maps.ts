import { BpfError } from '../../errors';
import { requireStructOpsLink } from '../../features';
import type { StructOpsPlan } from '../../struct-ops/plan';
import {
  BPF_F_LINK, BPF_F_VTYPE_BTF_OBJ_FD, BpfMapType, Fd, mapCreate, mapFreeze, mapUpdateElem,
} from '../../sys';
import type { MapSpec } from '../spec';
import type { KernelBtfs } from './kernel-btfs';
import { buildKconfigValue } from './kconfig';
import type { LoadTarget } from './index';

const KEY0 = Buffer.alloc(4);

/**
 * Creates every map: BTF-defined maps, global data (populated, `.rodata` frozen), the
 * `.kconfig` map (filled from the running kernel's config, frozen) and one
 * BPF_MAP_TYPE_STRUCT_OPS map per planned struct_ops variable. Each created fd is handed to
 * its BpfMap at once, so a later failure closes it with the object.
 */
export function createMaps(
  t: LoadTarget, btfFd: Fd, plans: Map<string, StructOpsPlan>, kernel: KernelBtfs, object: string,
): void {
  // Before any map exists: on Linux < 6.4 a link map is EOPNOTSUPP with a hint, not EINVAL.
  for (const name of plans.keys()) if (t.structOps.get(name)!.isLink) requireStructOpsLink(name, object);
  for (const map of t.maps.values()) {
    const spec = map.spec;
    const fd = withContext(spec.name, object, () => createPlainMap(spec, btfFd));
    map.setLoaded(fd);
    const data = spec.kind === 'kconfig'
      ? buildKconfigValue(t.spec.btf, t.spec.externs, spec.valueSize, object)
      : spec.initialData;
    withContext(spec.name, object, () => {
      if (data) mapUpdateElem(fd, KEY0, data, 0);
      if (spec.freeze) mapFreeze(fd);
    });
  }
  for (const [name, plan] of plans) {
    const map = t.structOps.get(name)!;
    const k = plan.kernel;
    const fd = withContext(name, object, () => mapCreate({
      mapType: BpfMapType.STRUCT_OPS,
      keySize: 4,
      valueSize: k.valueSize,
      maxEntries: 1,
      mapFlags: (map.isLink ? BPF_F_LINK : 0) | (k.module ? BPF_F_VTYPE_BTF_OBJ_FD : 0),
      mapName: map.kernelName,
      // The object BTF is mandatory here (kernel BTF would be EACCES); value ids come from vmlinux.
      btfFd,
      btfVmlinuxValueTypeId: k.valueTypeId,
      valueTypeBtfObjFd: k.module ? kernel.moduleFd(k.module) : undefined,
    }));
    map.setLoaded(fd);
  }
}

function createPlainMap(spec: MapSpec, btfFd: Fd): Fd {
  // Global data keys carry no BTF type; BTF-defined maps give both ids (sk_storage needs them).
  const withBtf = spec.btfValueTypeId !== 0;
  return mapCreate({
    mapType: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    mapFlags: spec.flags,
    numaNode: spec.numaNode,
    mapName: spec.kernelName,
    mapExtra: spec.mapExtra,
    btfFd: withBtf ? btfFd : undefined,
    btfKeyTypeId: withBtf ? spec.btfKeyTypeId : 0,
    btfValueTypeId: withBtf ? spec.btfValueTypeId : 0,
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
