// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';
import type { Btf } from '../btf';
import { BpfMapType } from '../sys';
import type { StructOpsPlan } from '../struct-ops';
import { createShadowValue, shadowLayout, type StructOpsValue } from '../shadow';
import { BpfLink, type AttachOptions } from '../link';
import { BpfMap } from './map';
import type { BpfProgram } from './program';
import type { RegistrableMap } from '../struct-ops';
import type { MapSpec, StructOpsSpec } from './spec';

/** @internal The object a StructOpsMap belongs to, as its shadow value needs it (BpfObject). */
export interface StructOpsOwner {
  readonly spec: { readonly btf: Btf; readonly name: string; readonly path?: string };
  readonly programs: ReadonlyMap<string, BpfProgram>;
  readonly structOps: ReadonlyMap<string, StructOpsMap>;
  /** Keeps a registration this map made, so it lives (and ends) with the object. */
  adopt?(link: BpfLink<StructOpsMap>): void;
}

/**
 * A struct_ops variable of the object: one kernel map of type BPF_MAP_TYPE_STRUCT_OPS whose
 * value is the kernel struct with program fds in its function-pointer members.
 * `value` edits it before load; `attach()` registers it with the kernel subsystem (e.g. a
 * TCP congestion control). `V` is the shadow value's type (see `struct-ops gen types`).
 */
export class StructOpsMap<V extends StructOpsValue<BpfProgram> = StructOpsValue<BpfProgram>> extends BpfMap implements RegistrableMap {
  readonly structOps: StructOpsSpec;
  #programs: Map<string, BpfProgram>;
  #plan: StructOpsPlan | undefined;
  #value: Buffer | undefined;
  /**
   * The object's image of the variable: a copy of the spec's bytes, which shadow edits
   * change and load() reads (the spec, a reusable blueprint, keeps the file's bytes).
   */
  readonly #data: Buffer;
  #pinned = false;
  readonly #owner: StructOpsOwner;
  #shadow: V | undefined;
  #locked = false;

  /** @internal */
  constructor(spec: StructOpsSpec, programs: Map<string, BpfProgram>, owner: StructOpsOwner) {
    // The local variable's size until load; the kernel value's size after (see valueSize).
    const mapSpec: MapSpec = Object.freeze({
      name: spec.name, kernelName: spec.name.slice(0, 15), kind: 'struct_ops', type: BpfMapType.STRUCT_OPS,
      keySize: 4, valueSize: spec.data.length, maxEntries: 1, flags: 0, numaNode: 0, mapExtra: 0n,
      btfKeyTypeId: 0, btfValueTypeId: 0, freeze: false, section: spec.section, pinByName: false,
    });
    super(mapSpec, spec.autocreate);
    this.structOps = spec;
    this.#data = Buffer.from(spec.data);
    this.#programs = programs;
    this.#owner = owner;
  }

  /** Kernel struct this map implements, e.g. `tcp_congestion_ops`. */
  get kernelTypeName(): string {
    return this.structOps.kernelTypeName;
  }

  /** Registered through a BPF link (`SEC(".struct_ops.link")`) rather than a map update. */
  get isLink(): boolean {
    return this.structOps.link;
  }

  /** Member name -> program, as the object binds them. */
  get programs(): ReadonlyMap<string, BpfProgram> {
    return this.#programs;
  }

  /**
   * The shadow value: the variable's members by name, typed from the object's BTF, editable
   * until load() starts (same object every time). Integers/enums/chars are numbers (bigint
   * beyond 32 bits), bools booleans, floats numbers, char arrays strings, function pointers
   * a struct_ops program of this object or null; other members are read-only Buffer copies.
   * Swapping a program in makes it load; one no map uses any more is not loaded.
   *
   * @throws {BpfError} on access: ENOENT for an unknown member (the message lists the
   *   members), EINVAL/ERANGE for a value the member cannot hold, EOPNOTSUPP for a
   *   read-only member kind, EBUSY for a write after load() started
   * @example
   * const obj = await openObject('reno.bpf.o');
   * const reno = obj.structOps.get('reno')!;
   * reno.value.name = 'so_reno2';
   * reno.value.flags = 1; // TCP_CONG_NON_RESTRICTED
   * reno.value.cong_avoid = obj.programs.get('other_cong_avoid')!;
   * await obj.load();
   */
  get value(): V {
    this.#shadow ??= this.#createShadow();
    return this.#shadow;
  }

  /**
   * Value size in bytes: the kernel's `struct bpf_struct_ops_T` once loaded (what element
   * operations exchange), the local variable's before.
   */
  override get valueSize(): number {
    return this.#plan?.kernel.valueSize ?? super.valueSize;
  }

  /** @internal The local image load() reads: the spec's bytes with this object's shadow edits. */
  get localData(): Buffer {
    return this.#data;
  }

  /** The kernel value (with program fds) this map is registered with; set by load(). */
  get kernelValue(): Buffer {
    if (!this.#value) throw new BpfError(`struct_ops ${this.name} is not loaded`, { code: 'EBADF', map: this.name });
    return this.#value;
  }

  /** The member matching done at load (kernel type ids, slots, warnings). */
  get plan(): StructOpsPlan | undefined {
    return this.#plan;
  }

  /**
   * Registers the struct_ops with the kernel. `.struct_ops.link` maps register through
   * BPF_LINK_CREATE and end when the link's last fd closes (also when the process dies);
   * legacy `.struct_ops` maps register with BPF_MAP_UPDATE_ELEM and stay registered until
   * `link.close()` deletes the element, or this process exits (unless `persist` or pinned).
   *
   * Lifetime: the object owns the returned link, like a libbpf skeleton owns its links.
   * It stays registered while the object is open even if the caller drops the handle (the
   * garbage collector never ends it), and ends with `obj.close()` unless something else
   * keeps it: a pin (links), or `persist`/a pinned map (legacy). `link.close()` ends it
   * earlier.
   *
   * @throws {BpfError} e.g. EEXIST when a TCP congestion control of the same name exists.
   * @example
   * const link = await obj.structOps.get('mycc')!.attach();
   * link.close();
   */
  async attach(options: AttachOptions = {}): Promise<BpfLink<StructOpsMap>> {
    const link = BpfLink.attach<StructOpsMap>(this, options);
    this.#owner.adopt?.(link);
    return link;
  }

  /** True once pin() succeeded: a legacy registration of a pinned map outlives the process. */
  get pinned(): boolean {
    return this.#pinned;
  }

  /** Pins the map (see BpfMap.pin); a legacy registration then persists after exit. */
  override pin(path: string): void {
    super.pin(path);
    this.#pinned = true;
  }

  /** @internal Called when load() starts: the shadow value becomes read-only. */
  lock(): void {
    this.#locked = true;
    this.closeEdits();
  }

  /** @internal */
  setPlan(plan: StructOpsPlan, value: Buffer): void {
    this.#plan = plan;
    this.#value = value;
  }

  #createShadow(): V {
    const owner = this.#owner;
    const { btf } = owner.spec;
    return createShadowValue<BpfProgram>({
      map: this.name,
      object: owner.spec.path ?? owner.spec.name,
      typeName: btf.typeName(this.structOps.typeId).replace(/^struct /, ''),
      data: this.#data,
      members: shadowLayout(btf, this.structOps.typeId, this.#data.length),
      bindings: this.#programs,
      locked: () => this.#locked,
      owns: (p): p is BpfProgram => typeof (p as BpfProgram | null)?.name === 'string' && owner.programs.get((p as BpfProgram).name) === p,
      inUse: (p) => [...owner.structOps.values()].some((m) => [...m.programs.values()].includes(p)),
    }) as V;
  }
}
