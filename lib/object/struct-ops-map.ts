import { BpfError } from '../errors';
import { BpfMapType } from '../sys';
import type { StructOpsPlan } from '../struct-ops/plan';
import { BpfLink, AttachOptions } from './link';
import { BpfMap } from './map';
import type { BpfProgram } from './program';
import type { MapSpec, StructOpsSpec } from './spec';

/**
 * A struct_ops variable of the object: one kernel map of type BPF_MAP_TYPE_STRUCT_OPS whose
 * value is the kernel struct with program fds in its function-pointer members.
 * `attach()` registers it with the kernel subsystem (e.g. a TCP congestion control).
 */
export class StructOpsMap extends BpfMap {
  readonly structOps: StructOpsSpec;
  #programs: Map<string, BpfProgram>;
  #plan: StructOpsPlan | undefined;
  #value: Buffer | undefined;
  #pinned = false;

  /** @internal */
  constructor(spec: StructOpsSpec, programs: Map<string, BpfProgram>) {
    const mapSpec: MapSpec = {
      name: spec.name, kernelName: spec.name.slice(0, 15), kind: 'struct_ops', type: BpfMapType.STRUCT_OPS,
      keySize: 4, valueSize: spec.data.length, maxEntries: 1, flags: 0, numaNode: 0, mapExtra: 0n,
      btfKeyTypeId: 0, btfValueTypeId: 0, freeze: false, section: spec.section, pinByName: false,
    };
    super(mapSpec);
    this.structOps = spec;
    this.#programs = programs;
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
   * @throws {BpfError} e.g. EEXIST when a TCP congestion control of the same name exists.
   * @example
   * const link = await obj.structOps.get('mycc')!.attach();
   * link.close();
   */
  async attach(options: AttachOptions = {}): Promise<BpfLink> {
    return BpfLink.attach(this, options);
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

  /** @internal */
  setPlan(plan: StructOpsPlan, value: Buffer): void {
    this.#plan = plan;
    this.#value = value;
    this.spec.valueSize = plan.kernel.valueSize;
  }
}
