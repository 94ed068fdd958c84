/**
 * A map's memory mmapped into Node: BPF_MAP_TYPE_ARENA (at the address its map_extra
 * names, or the one the kernel picked for the first mapping, so pointers the programs store
 * mean the same here) and BPF_F_MMAPABLE arrays. An object's arena is mapped by load()
 * itself (as libbpf does: the `__arena` globals are copied in, and the kernel fixes the
 * arena's address at its first mapping); `map.mmap()` returns that one mapping.
 * The view is the kernel's pages, no copy: what a program writes shows up in `bytes` at
 * once and the other way round. close() (or closing the map) detaches the ArrayBuffer, so
 * every view of it becomes empty, and only then unmaps it.
 */
import { BpfError } from '../errors';
import { BPF_F_MMAPABLE, BpfMapType, callRingAddon } from '../sys';
import type { MapResource, ResourceMap } from './resource';

/** Shared memory of one map; closes with its map. `M`: the map's type (BpfMap from `map.mmap()`). */
export class MappedMemory<M extends ResourceMap = ResourceMap> implements MapResource {
  readonly map: M;
  readonly buffer: ArrayBuffer;
  /** The whole region as bytes (empty after close). */
  readonly bytes: Buffer;
  /** The whole region as a DataView (empty after close). */
  readonly view: DataView;
  /** Address of the region in this process (for an arena, its user_vm_start). */
  readonly address: bigint;
  /**
   * ARENA maps of an object with `__arena` globals (section `.addr_space.1`): where they
   * start in `bytes` (the arena's last pages, as libbpf places them); undefined otherwise.
   * `obj.readGlobals('.addr_space.1')` decodes them through BTF.
   */
  readonly globalsOffset: number | undefined;
  #open = true;

  /**
   * @internal Use {@link BpfMap.mmap}. `arenaAddress`: where an earlier mapping of this
   * arena was (a new one must be at the same address).
   */
  constructor(map: M, arenaAddress = 0n) {
    const { type, maxEntries } = map;
    const layout = map.layout;
    let length: number;
    let hint = 0n;
    if (type === BpfMapType.ARENA) {
      length = maxEntries * layout.pageSize;
      hint = layout.mapExtra !== 0n ? layout.mapExtra : arenaAddress;
    } else if (type === BpfMapType.ARRAY && (layout.mapFlags & BPF_F_MMAPABLE) !== 0) {
      length = roundUp(Math.ceil(layout.valueSize / 8) * 8 * maxEntries, layout.pageSize);
    } else {
      throw new BpfError(`map ${map.name} (${map.typeName}) cannot be mmapped`, {
        code: 'EINVAL', map: map.name, hint: 'only ARENA maps and ARRAY maps with BPF_F_MMAPABLE are mappable',
      });
    }
    this.map = map;
    this.buffer = callRingAddon(`map ${map.name}: mmap`, (a) => a.mapMmap(map.handle().native, length, hint));
    this.bytes = Buffer.from(this.buffer);
    this.view = new DataView(this.buffer);
    this.address = callRingAddon(`map ${map.name}: mmap`, (a) => a.mapAddress(this.buffer));
    this.globalsOffset = type === BpfMapType.ARENA ? map.spec.arenaGlobals?.offset : undefined;
    map.adopt(this);
  }

  get closed(): boolean {
    return !this.#open;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    callRingAddon(`map ${this.map.name}: munmap`, (a) => a.mapUnmap(this.buffer));
    this.map.release(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
