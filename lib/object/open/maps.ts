// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import { Btf, BtfKind, BtfType } from '../../btf';
import { ElfFile, SHT_NOBITS } from '../../elf';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BpfMapType } from '../../sys';
import type { MapSpec } from '../spec';
import { datasecVars, findDatasec } from './btf-fixup';
import { isDataSection, isReadOnlyDataSection } from './sections';

const BPF_OBJ_NAME_LEN = 16;
/** LIBBPF_PIN_BY_NAME in a map definition's `pinning` field. */
const PIN_BY_NAME = 1;

/**
 * Kernel name of a global-data map, as libbpf builds it so `bpftool map` shows the same
 * names: up to 8 chars of the object name, then the section name, non [A-Za-z0-9_.] -> '_'.
 */
export function internalMapName(objectName: string, section: string): string {
  const sfxLen = Math.max(7, section.length);
  const pfxLen = Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const name = objectName.slice(0, Math.max(0, pfxLen)) + section.slice(0, sfxLen);
  return name.slice(0, BPF_OBJ_NAME_LEN - 1).replace(/[^A-Za-z0-9_.]/g, '_');
}

/** One ARRAY map per `.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*` section. */
export function collectDataMaps(elf: ElfFile, btf: Btf, objectName: string): MapSpec[] {
  const maps: MapSpec[] = [];
  for (const section of elf.sections) {
    if (!isDataSection(section.name) || section.size === 0) continue;
    const datasec = findDatasec(btf, section.name);
    const readOnly = isReadOnlyDataSection(section.name);
    // libbpf maps data as mmapable when user space can see a global (non-static) variable.
    const hasGlobal = datasec !== undefined && datasecVars(btf, datasec).some(({ v }) => v.linkage !== 0);
    maps.push({
      name: section.name,
      kernelName: internalMapName(objectName, section.name),
      kind: 'data',
      type: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: section.size,
      maxEntries: 1,
      flags: (readOnly ? BPF_F_RDONLY_PROG : 0) | (hasGlobal ? BPF_F_MMAPABLE : 0),
      numaNode: 0,
      mapExtra: 0n,
      btfKeyTypeId: 0,
      btfValueTypeId: datasec?.id ?? 0,
      initialData: section.type === SHT_NOBITS ? Buffer.alloc(section.size) : Buffer.from(section.data),
      freeze: readOnly,
      section: section.name,
      sectionIndex: section.index,
      pinByName: false,
    });
  }
  return maps;
}

/** The `.kconfig` map: values are filled from the running kernel's config at load time. */
export function kconfigMap(btf: Btf, objectName: string): MapSpec | undefined {
  const datasec = findDatasec(btf, '.kconfig');
  if (datasec === undefined || datasec.size === 0) return undefined;
  return {
    name: '.kconfig',
    kernelName: internalMapName(objectName, '.kconfig'),
    kind: 'kconfig',
    type: BpfMapType.ARRAY,
    keySize: 4,
    valueSize: datasec.size,
    maxEntries: 1,
    flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
    numaNode: 0,
    mapExtra: 0n,
    btfKeyTypeId: 0,
    btfValueTypeId: datasec.id,
    freeze: true,
    section: '.kconfig',
    pinByName: false,
  };
}

/** BTF-defined maps: each variable in `.maps` is a struct whose members describe the map. */
export function collectBtfMaps(btf: Btf, objectName: string): MapSpec[] {
  const datasec = findDatasec(btf, '.maps');
  if (datasec === undefined) return [];
  return datasecVars(btf, datasec).map(({ v }) => parseMapDef(btf, v.name, v.type, objectName));
}

function parseMapDef(btf: Btf, name: string, typeId: number, objectName: string): MapSpec {
  const def = btf.resolve(typeId);
  const where = { object: objectName, map: name, section: '.maps', typeId };
  if (def.kind !== BtfKind.STRUCT) throw malformed(`map ${name}: definition is not a struct`, where);
  const spec: MapSpec = {
    name, kernelName: name.slice(0, BPF_OBJ_NAME_LEN - 1), kind: 'user', type: 0, keySize: 0, valueSize: 0,
    maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0n, btfKeyTypeId: 0, btfValueTypeId: 0, freeze: false,
    section: '.maps', pinByName: false,
  };
  for (const m of def.members) {
    const member = { ...where, member: m.name };
    switch (m.name) {
      case 'type': spec.type = uintMember(btf, m.type, name, m.name, member); break;
      case 'max_entries': spec.maxEntries = uintMember(btf, m.type, name, m.name, member); break;
      case 'map_flags': spec.flags = uintMember(btf, m.type, name, m.name, member); break;
      case 'numa_node': spec.numaNode = uintMember(btf, m.type, name, m.name, member); break;
      case 'key_size': spec.keySize = uintMember(btf, m.type, name, m.name, member); break;
      case 'value_size': spec.valueSize = uintMember(btf, m.type, name, m.name, member); break;
      case 'map_extra': spec.mapExtra = BigInt(uintMember(btf, m.type, name, m.name, member)); break;
      case 'pinning': spec.pinByName = uintMember(btf, m.type, name, m.name, member) === PIN_BY_NAME; break;
      case 'key': ({ id: spec.btfKeyTypeId, size: spec.keySize } = pointee(btf, m.type, name, member)); break;
      case 'value': ({ id: spec.btfValueTypeId, size: spec.valueSize } = pointee(btf, m.type, name, member)); break;
      default:
        throw malformed(`map ${name}: unsupported map definition member ${m.name}`, member);
    }
  }
  if (spec.type === 0) throw malformed(`map ${name}: missing 'type'`, where);
  return spec;
}

/** `__uint(name, N)` is encoded as `int (*name)[N]`. */
function uintMember(btf: Btf, typeId: number, map: string, member: string, where: object): number {
  const ptr = btf.resolve(typeId);
  const arr: BtfType | undefined = ptr.kind === BtfKind.PTR ? btf.resolve(ptr.type) : undefined;
  if (arr?.kind !== BtfKind.ARRAY) throw malformed(`map ${map}: '${member}' is not a __uint() value`, where);
  return arr.nelems;
}

/** `__type(name, T)` is encoded as `T *name`. */
function pointee(btf: Btf, typeId: number, map: string, where: { member: string }): { id: number; size: number } {
  const ptr = btf.resolve(typeId);
  if (ptr.kind !== BtfKind.PTR) throw malformed(`map ${map}: '${where.member}' is not a __type() pointer`, where);
  return { id: ptr.type, size: btf.sizeOf(ptr.type) };
}
