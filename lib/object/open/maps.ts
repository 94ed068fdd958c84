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

/**
 * BTF-defined maps: each variable in `.maps` is a struct whose members describe the map.
 * Map-in-map definitions carry their inner map's definition (`__array(values, struct
 * inner)`) and, when `elf` is given, the initial slots that `.rel.maps` points at other maps.
 */
export function collectBtfMaps(btf: Btf, objectName: string, elf?: ElfFile): MapSpec[] {
  const datasec = findDatasec(btf, '.maps');
  if (datasec === undefined) return [];
  const vars = datasecVars(btf, datasec);
  const maps = vars.map(({ v }) => parseMapDef(btf, v.name, v.type, objectName));
  if (elf) collectInitialSlots(elf, btf, vars, maps, objectName);
  return maps;
}

/** Map types whose values are other maps' fds (BPF_MAP_TYPE_*_OF_MAPS). */
export function isMapInMap(type: number): boolean {
  return type === BpfMapType.ARRAY_OF_MAPS || type === BpfMapType.HASH_OF_MAPS;
}

function parseMapDef(btf: Btf, name: string, typeId: number, objectName: string, inner = false): MapSpec {
  const def = btf.resolve(typeId);
  const where = { object: objectName, map: name, section: '.maps', typeId };
  if (def.kind !== BtfKind.STRUCT) throw malformed(`map ${name}: definition is not a struct`, where);
  const spec: MapSpec = {
    name, kernelName: name.slice(0, BPF_OBJ_NAME_LEN - 1), kind: 'user', type: 0, keySize: 0, valueSize: 0,
    maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0n, btfKeyTypeId: 0, btfValueTypeId: 0, freeze: false,
    section: '.maps', pinByName: false,
  };
  let values: { member: string; typeId: number; where: object } | undefined;
  for (const m of def.members) {
    const member = { ...where, member: m.name };
    switch (m.name) {
      case 'type': spec.type = uintMember(btf, m.type, name, m.name, member); break;
      case 'max_entries': spec.maxEntries = uintMember(btf, m.type, name, m.name, member); break;
      case 'map_flags': spec.flags = uintMember(btf, m.type, name, m.name, member); break;
      case 'numa_node': spec.numaNode = uintMember(btf, m.type, name, m.name, member); break;
      case 'key_size': spec.keySize = uintMember(btf, m.type, name, m.name, member); break;
      case 'value_size': spec.valueSize = uintMember(btf, m.type, name, m.name, member); break;
      case 'map_extra': spec.mapExtra = wideMember(btf, m.type, name, m.name, member); break;
      case 'pinning': spec.pinByName = uintMember(btf, m.type, name, m.name, member) === PIN_BY_NAME; break;
      case 'key': ({ id: spec.btfKeyTypeId, size: spec.keySize } = pointee(btf, m.type, name, member)); break;
      case 'value': ({ id: spec.btfValueTypeId, size: spec.valueSize } = pointee(btf, m.type, name, member)); break;
      case 'values': values = { member: m.name, typeId: m.type, where: member }; break;
      default:
        throw malformed(`map ${name}: unsupported map definition member ${m.name}`, member);
    }
  }
  if (spec.type === 0) throw malformed(`map ${name}: missing 'type'`, where);
  if (values) {
    if (inner) throw malformed(`map ${name}: an inner map definition cannot have 'values' itself`, values.where);
    if (!isMapInMap(spec.type)) {
      throw malformed(`map ${name}: '__array(values, ...)' is supported for ARRAY_OF_MAPS and HASH_OF_MAPS only`, {
        ...values.where, hint: 'PROG_ARRAY initial slots are not supported; fill the array from user space',
      });
    }
    spec.inner = innerMapDef(btf, values.typeId, name, objectName, values.where);
    // The kernel wants a 4-byte value (an fd when written, a map id when read).
    if (spec.valueSize === 0) spec.valueSize = 4;
    if (spec.keySize === 0) spec.keySize = 4;
    spec.initialSlots = [];
  }
  if (isMapInMap(spec.type) && spec.inner === undefined) {
    throw malformed(`map ${name}: a map-in-map needs its inner map definition (__array(values, struct ...))`, where);
  }
  return spec;
}

/** `__array(values, struct inner)` is encoded as `struct inner *values[N]`. */
function innerMapDef(btf: Btf, typeId: number, outer: string, objectName: string, where: object): MapSpec {
  const arr = btf.resolve(typeId);
  const ptr = arr.kind === BtfKind.ARRAY ? btf.resolve(arr.elemType) : undefined;
  if (ptr?.kind !== BtfKind.PTR) throw malformed(`map ${outer}: 'values' is not an __array() of map definitions`, where);
  const inner = parseMapDef(btf, `${outer}.inner`, ptr.type, objectName, true);
  return { ...inner, kernelName: inner.kernelName.slice(0, BPF_OBJ_NAME_LEN - 1) };
}

/**
 * `.rel.maps`: each R_BPF_64_ABS64 in a map-in-map's `values` array points at the map
 * (a `.maps` variable) that fills that slot when the object is loaded.
 */
function collectInitialSlots(
  elf: ElfFile, btf: Btf, vars: { v: { name: string; type: number }; offset: number; size: number }[],
  maps: MapSpec[], objectName: string,
): void {
  const section = elf.section('.maps');
  if (!section) return;
  for (const rel of elf.relocationsFor(section)) {
    const where = { object: objectName, section: '.rel.maps', offset: rel.offset };
    const at = vars.findIndex((x) => rel.offset >= x.offset && rel.offset < x.offset + x.size);
    const outer = at < 0 ? undefined : maps[at];
    if (!outer?.initialSlots) throw malformed(`.rel.maps: relocation at ${rel.offset} is not in a map-in-map's values`, where);
    const def = btf.resolve(vars[at].v.type);
    const member = def.kind === BtfKind.STRUCT ? def.members.find((m) => m.name === 'values') : undefined;
    const start = vars[at].offset + (member ? member.bitOffset / 8 : 0);
    const slot = (rel.offset - start) / 8;
    if (!member || !Number.isInteger(slot) || slot < 0) {
      throw malformed(`map ${outer.name}: relocation at ${rel.offset} is not a values[] slot`, where);
    }
    if (slot >= outer.maxEntries) {
      throw malformed(`map ${outer.name}: initial slot ${slot} is beyond max_entries ${outer.maxEntries}`, where);
    }
    const symbol = elf.symbols[rel.symbol];
    const target = maps.find((m) => m.name === symbol?.name);
    if (!target) throw malformed(`map ${outer.name}: slot ${slot} points at ${symbol?.name ?? '?'}, which is not a map in .maps`, where);
    while (outer.initialSlots.length <= slot) outer.initialSlots.push(null);
    outer.initialSlots[slot] = target.name;
  }
}

/** `__uint(name, N)` is encoded as `int (*name)[N]`. */
function uintMember(btf: Btf, typeId: number, map: string, member: string, where: object): number {
  const ptr = btf.resolve(typeId);
  const arr: BtfType | undefined = ptr.kind === BtfKind.PTR ? btf.resolve(ptr.type) : undefined;
  if (arr?.kind !== BtfKind.ARRAY) throw malformed(`map ${map}: '${member}' is not a __uint() value`, where);
  return arr.nelems;
}

/**
 * A 64-bit attribute: `__ulong(name, V)` (libbpf's bpf_helpers.h) is an anonymous enum
 * member whose one enumerator is V; `__uint()` still works for values below 2^32.
 */
function wideMember(btf: Btf, typeId: number, map: string, member: string, where: object): bigint {
  const t = btf.resolve(typeId);
  if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
    if (t.values.length !== 1) throw malformed(`map ${map}: '${member}' __ulong() enum must have one value`, where);
    const v = BigInt(t.values[0].value);
    return v < 0n ? v & 0xffffffffffffffffn : v;
  }
  return BigInt(uintMember(btf, typeId, map, member, where));
}

/** `__type(name, T)` is encoded as `T *name`. */
function pointee(btf: Btf, typeId: number, map: string, where: { member: string }): { id: number; size: number } {
  const ptr = btf.resolve(typeId);
  if (ptr.kind !== BtfKind.PTR) throw malformed(`map ${map}: '${where.member}' is not a __type() pointer`, where);
  return { id: ptr.type, size: btf.sizeOf(ptr.type) };
}
