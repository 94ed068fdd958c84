// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A registered struct_ops map's value as the kernel reports it: which kernel BTF (vmlinux
 * or a module) defines its `bpf_struct_ops_<T>` type, and the `common` header (state,
 * refcnt) of the value BPF_MAP_LOOKUP_ELEM returns.
 */
import { Btf, BtfKind, decodeValue, loadKernelBtf, loadModuleBtf } from '../btf';
import { isBpfError } from '../errors';
import { type MapInfo, btfGetFdById, btfGetInfo, mapLookupElem, type FdLike, KEY_ZERO } from '../sys';
import { VALUE_TYPE_PREFIX } from '../struct-ops';
import { withFdById } from './objects';

/** Lifecycle state of a struct_ops map (kernel `enum bpf_struct_ops_state` without its prefix). */
export type StructOpsState = 'INIT' | 'INUSE' | 'TOBEFREE' | 'READY' | (string & {});

/** The kernel type a struct_ops map implements. */
export interface MapValueType {
  /** The BTF that defines it: vmlinux, or a module's split BTF. */
  btf: Btf;
  /** `'vmlinux'` or the module name. */
  module: string;
  /** Id of `struct bpf_struct_ops_<T>` in `btf` (the map's btf_vmlinux_value_type_id). */
  valueTypeId: number;
  /** `'bpf_struct_ops_tcp_congestion_ops'`. */
  valueTypeName: string;
  /** `'tcp_congestion_ops'`. */
  kernelType: string;
}

// The kernel's enum order (kernel/bpf/bpf_struct_ops.c), used when BTF cannot name a state.
const STATE_NAMES = ['INIT', 'INUSE', 'TOBEFREE', 'READY'];
const STATE_PREFIX = 'BPF_STRUCT_OPS_STATE_';

/**
 * Finds the BTF type behind maps' btf_vmlinux_value_type_id. Remembers which BTF object id
 * is which module, so listing many maps opens each BTF object once.
 */
export class ValueTypeResolver {
  readonly #btfNames = new Map<number, string | undefined>();

  /** The value type of a struct_ops map, or undefined when no loaded kernel BTF has it. */
  resolve(info: MapInfo): MapValueType | undefined {
    const module = this.#moduleOf(info.btfVmlinuxId);
    let btf: Btf;
    try {
      btf = module === 'vmlinux' ? loadKernelBtf() : loadModuleBtf(module);
    } catch (err) {
      if (isBpfError(err)) return undefined; // the module was unloaded meanwhile
      throw err;
    }
    let name: string;
    try {
      const t = btf.typeById(info.btfVmlinuxValueTypeId);
      if (t.kind !== BtfKind.STRUCT) return undefined;
      name = t.name;
    } catch (err) {
      if (isBpfError(err)) return undefined;
      throw err;
    }
    if (!name.startsWith(VALUE_TYPE_PREFIX)) return undefined;
    return {
      btf, module, valueTypeId: info.btfVmlinuxValueTypeId, valueTypeName: name,
      kernelType: name.slice(VALUE_TYPE_PREFIX.length),
    };
  }

  /** btf_vmlinux_id (Linux 6.9+) names the BTF object; 0 on older kernels, which only had vmlinux types. */
  #moduleOf(btfObjectId: number): string {
    if (btfObjectId === 0) return 'vmlinux';
    if (!this.#btfNames.has(btfObjectId)) {
      this.#btfNames.set(btfObjectId, withFdById(btfGetFdById, btfObjectId, (fd) => btfGetInfo(fd).name));
    }
    const name = this.#btfNames.get(btfObjectId);
    return name === undefined || name === '' ? 'vmlinux' : name;
  }
}

/**
 * Reads key 0 of a struct_ops map: the kernel fills `common` (state, refcnt) and puts program
 * ids in function-pointer slots; everything is zero while the map is INIT.
 * @throws {BpfError} command BPF_MAP_LOOKUP_ELEM.
 */
export function readStructOpsValue(map: FdLike, valueSize: number): Buffer {
  const value = Buffer.alloc(valueSize);
  mapLookupElem(map, KEY_ZERO, value);
  return value;
}

/** State and refcnt from the value's `common` member (decoded through BTF when known). */
export function decodeCommon(value: Buffer, type: MapValueType | undefined): { refcnt: number; state: StructOpsState } {
  // Layout fallback (stable since 5.6): refcount_t refcnt @0, enum state @4.
  let state: StructOpsState = STATE_NAMES[value.readUInt32LE(4)] ?? `UNKNOWN_${value.readUInt32LE(4)}`;
  const refcnt = value.readUInt32LE(0);
  if (type) {
    const common = type.btf.memberByName(type.valueTypeId, 'common')?.member;
    if (common && common.bitOffset === 0) {
      const decoded = decodeValue(type.btf, common.type, value.subarray(0, type.btf.sizeOf(common.type)));
      const named = (decoded as { state?: unknown } | null)?.state;
      if (typeof named === 'string') state = named.startsWith(STATE_PREFIX) ? named.slice(STATE_PREFIX.length) : named;
    }
  }
  return { refcnt, state };
}
