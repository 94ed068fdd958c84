// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BtfKind, decodeValue, loadKernelBtf, type BtfComposite, type DecodedValue } from '../btf';
import { BpfError } from '../errors';
import { Fd, objGetInfo } from '../sys';
import { bpftoolSignature, bpftoolValue, type JsonValue } from './bpftool-json';
import { declaration, functionPointerProto } from './declare';
import type { StructOpsState } from './kernel-value';
import { findStructOps, FoundStructOps, notFound, type StructOpsInfo } from './list';
import { ProgramResolver, type ProgramRef } from './programs';

interface MemberBase {
  name: string;
  /** Index in the kernel struct (a program's expected_attach_type). */
  index: number;
  /** Byte offset inside the kernel struct T. */
  offset: number;
  size: number;
  /** C declaration, e.g. `u32 (*ssthresh)(struct sock *)`. */
  declaration: string;
}

/** A function-pointer member: the program registered in it, or null when unset. */
export interface StructOpsProgramMember extends MemberBase {
  kind: 'program';
  /** bpftool's spelling of the prototype, e.g. `u32 (struct sock *)`. */
  signature: string;
  program: ProgramRef | null;
}

/** Any other member, decoded through kernel BTF. */
export interface StructOpsDataMember extends MemberBase {
  kind: 'data';
  value: DecodedValue;
}

export type StructOpsMemberDump = StructOpsProgramMember | StructOpsDataMember;

/** A registered (or merely created) struct_ops map's value, decoded through kernel BTF. */
export interface StructOpsDump {
  info: StructOpsInfo;
  /** `'bpf_struct_ops_tcp_congestion_ops'`. */
  valueTypeName: string;
  /** Every bpf_map_info field the running kernel has, by its kernel name. */
  mapInfo: { [field: string]: DecodedValue };
  common: { refcnt: number; state: StructOpsState };
  /** Every member of the kernel struct, in declaration order. */
  members: StructOpsMemberDump[];
  /**
   * The same in `bpftool -j struct_ops dump` form (bpftool 7.8): `{ bpf_map_info }` and
   * `{ bpf_struct_ops_<T>: { common, data } }`. 64-bit numbers are bigints.
   */
  bpftool: [JsonValue, JsonValue];
  /** The value bytes BPF_MAP_LOOKUP_ELEM returned (program ids in function-pointer slots). */
  raw: Buffer;
}

// sizeof(struct bpf_map_info) in 6.18, used when vmlinux BTF lacks the struct.
const MAP_INFO_FALLBACK_SIZE = 104;

/**
 * Dumps a struct_ops map by id or by name: every member of the kernel struct with its
 * value, function-pointer slots resolved to the registered programs, plus bpf_map_info
 * and the common header. A name must match exactly one map.
 *
 * @throws {BpfError} ENOENT when no struct_ops map matches; EINVAL when several share the
 *   name; EPERM without privileges.
 * @example
 * const dump = dumpStructOps('reno');
 * for (const m of dump.members) if (m.kind === 'program') console.log(m.name, m.program?.progName);
 */
export function dumpStructOps(idOrName: number | string): StructOpsDump {
  const dumps = dumpMatching(typeof idOrName === 'number' ? { id: idOrName } : { name: idOrName });
  if (dumps.length === 0) throw notFound(idOrName);
  if (dumps.length > 1) {
    throw new BpfError(`several struct_ops maps are named ${idOrName} (ids ${dumps.map((d) => d.info.id).join(', ')})`, {
      code: 'EINVAL', map: String(idOrName), hint: 'dump one of them by id',
    });
  }
  return dumps[0];
}

/**
 * Dumps every struct_ops map matching the filter (all when empty), in id order.
 * @throws {BpfError} EPERM without privileges; ENOENT when a map's kernel BTF is gone.
 */
export function dumpMatching(filter: { id?: number; name?: string }): StructOpsDump[] {
  const programs = new ProgramResolver();
  const dumps: StructOpsDump[] = [];
  findStructOps(filter, (found, fd) => dumps.push(dumpOne(found, fd, programs)));
  return dumps;
}

function dumpOne(found: FoundStructOps, fd: Fd, programs: ProgramResolver): StructOpsDump {
  const { info, valueType: vt, value } = found;
  if (!vt) {
    throw new BpfError(`struct_ops ${info.name} (id ${info.id}): its value type ${info.btfVmlinuxValueTypeId} is in no loaded kernel BTF`, {
      code: 'ENOENT', map: info.name, typeId: info.btfVmlinuxValueTypeId,
      hint: 'the module that defines this struct_ops type was probably unloaded',
    });
  }
  const { btf } = vt;
  const valueType = btf.typeById(vt.valueTypeId) as BtfComposite;
  const data = valueType.members.find((m) => m.name === 'data');
  const structType = data ? btf.resolve(data.type) : undefined;
  if (!data || structType?.kind !== BtfKind.STRUCT) {
    throw new BpfError(`struct_ops ${info.name}: ${vt.valueTypeName} has no struct member "data"`, {
      code: 'EINVAL', map: info.name, typeId: vt.valueTypeId,
    });
  }
  const dataOffset = data.bitOffset / 8;
  const dataBytes = value.subarray(dataOffset, dataOffset + structType.size);
  const decoded = decodeValue(btf, structType.id, dataBytes) as { [member: string]: DecodedValue };
  const members = structType.members.map((m, index): StructOpsMemberDump => {
    const offset = m.bitOffset / 8;
    const size = m.bitfieldSize > 0 ? Math.ceil(m.bitfieldSize / 8) : btf.sizeOf(m.type);
    const base = { name: m.name, index, offset, size, declaration: declaration(btf, m.type, m.name) };
    const proto = m.bitfieldSize === 0 ? functionPointerProto(btf, m.type) : undefined;
    if (proto) {
      const slot = dataBytes.readBigUInt64LE(offset);
      // Slots hold program ids (u32); anything else would be a kernel address, never shown.
      const program = slot === 0n || slot > 0xffffffffn ? null : programs.resolve(Number(slot));
      return { ...base, kind: 'program', signature: bpftoolSignature(btf, proto.id) ?? '', program };
    }
    return { ...base, kind: 'data', value: decoded[m.name || `__anon${index}`] ?? null };
  });

  const vmlinux = loadKernelBtf();
  const mapInfoType = vmlinux.findByName('bpf_map_info', BtfKind.STRUCT);
  const infoBytes = Buffer.alloc(mapInfoType?.kind === BtfKind.STRUCT ? mapInfoType.size : MAP_INFO_FALLBACK_SIZE);
  objGetInfo(fd, infoBytes);
  const resolve = (id: number): ProgramRef => programs.resolve(id);
  return {
    info,
    valueTypeName: vt.valueTypeName,
    mapInfo: mapInfoType ? (decodeValue(vmlinux, mapInfoType.id, infoBytes) as { [field: string]: DecodedValue }) : {},
    common: { refcnt: info.refcnt, state: info.state },
    members,
    bpftool: [
      { bpf_map_info: mapInfoType ? bpftoolValue(vmlinux, mapInfoType.id, infoBytes, resolve) : {} },
      { [vt.valueTypeName]: bpftoolValue(btf, vt.valueTypeId, value, resolve) },
    ],
    raw: value,
  };
}
