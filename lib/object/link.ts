import { BpfError } from '../errors';
import {
  BpfAttachType, Fd, LinkInfo, linkCreate, linkDetach, linkGetInfo, linkUpdate, mapDeleteElem, mapUpdateElem, objPin,
} from '../sys';
import type { StructOpsMap } from './struct-ops-map';

export interface AttachOptions {
  /**
   * Legacy (`.struct_ops`) maps only: keep the registration after this process exits.
   * Without it, close() unregisters. Link-based maps cannot persist without pinning.
   */
  persist?: boolean;
}

const KEY0 = Buffer.alloc(4);

/**
 * One registration of a struct_ops map. For `.struct_ops.link` maps it owns a BPF link fd
 * (closing it unregisters; a crashed process leaves nothing behind). For legacy maps it
 * stands for the map's registration, which `close()` ends with BPF_MAP_DELETE_ELEM.
 */
export class BpfLink {
  #map: StructOpsMap;
  #fd: Fd | undefined;
  #closed = false;
  readonly persist: boolean;

  private constructor(map: StructOpsMap, fd: Fd | undefined, persist: boolean) {
    this.#map = map;
    this.#fd = fd;
    this.persist = persist;
  }

  /** @internal Registers `map` (see StructOpsMap.attach). */
  static attach(map: StructOpsMap, options: AttachOptions): BpfLink {
    const where = { map: map.name };
    try {
      setValue(map);
      if (!map.isLink) return new BpfLink(map, undefined, options.persist === true);
      if (options.persist) {
        throw new BpfError(`struct_ops ${map.name}: link-based registrations end with the process; pin the link instead`, {
          ...where, code: 'EINVAL',
        });
      }
      const fd = linkCreate({ mapFd: map.fd, attachType: BpfAttachType.STRUCT_OPS });
      return new BpfLink(map, fd, false);
    } catch (err) {
      throw withHint(err, map);
    }
  }

  /** The struct_ops map currently behind this registration. */
  get map(): StructOpsMap {
    return this.#map;
  }

  /** True for a BPF link, false for a legacy map registration. */
  get isLink(): boolean {
    return this.#fd !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The link fd. @throws {BpfError} for legacy registrations or after close(). */
  get fd(): Fd {
    if (!this.#fd || this.#fd.closed) throw new BpfError('not a live BPF link', { code: 'EBADF', map: this.#map.name });
    return this.#fd;
  }

  /** Kernel link id. */
  get id(): number {
    return this.info().id;
  }

  info(): LinkInfo {
    return linkGetInfo(this.fd);
  }

  /**
   * Atomically replaces the implementation behind a live link with another struct_ops map
   * of the same kernel type (BPF_LINK_UPDATE). With `expected`, the update only happens if
   * the link still points at that map (BPF_F_REPLACE).
   *
   * @throws {BpfError} EINVAL for a different kernel type or (TCP) a different algorithm name.
   */
  update(map: StructOpsMap, options: { expected?: StructOpsMap } = {}): void {
    if (!this.isLink) {
      throw new BpfError(`struct_ops ${this.#map.name} is registered without a link; only links can be updated`, {
        code: 'EOPNOTSUPP', map: this.#map.name, hint: 'put the variable in SEC(".struct_ops.link")',
      });
    }
    try {
      setValue(map);
      linkUpdate(this.fd, map.fd, options.expected ? { oldFd: options.expected.fd } : undefined);
    } catch (err) {
      throw withHint(err, map);
    }
    this.#map = map;
  }

  /** Pins the link at a bpffs path so it outlives this process. */
  pin(path: string): void {
    objPin(this.fd, path);
  }

  /** Unregisters now (BPF_LINK_DETACH) while keeping the fd; the link then points at no map. */
  detach(): void {
    linkDetach(this.fd);
  }

  /** Ends the registration: closes the link fd, or deletes the legacy map's element. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd) {
      this.#fd.close();
      return;
    }
    if (this.#map.loaded) {
      try {
        mapDeleteElem(this.#map.fd, KEY0);
      } catch (err) {
        // Already unregistered (e.g. by `struct-ops unregister`): nothing left to do.
        if ((err as BpfError).code !== 'ENOENT') throw err;
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Writes the kernel value once; a link map that already holds it answers EBUSY. */
function setValue(map: StructOpsMap): void {
  try {
    mapUpdateElem(map.fd, KEY0, map.kernelValue, 0);
  } catch (err) {
    if (map.isLink && (err as BpfError).code === 'EBUSY') return;
    throw err;
  }
}

function withHint(err: unknown, map: StructOpsMap): unknown {
  if (!(err instanceof BpfError)) return err;
  const e = err as { map?: string; hint?: string };
  e.map ??= map.name;
  if (e.hint === undefined) {
    if (err.code === 'EEXIST') e.hint = 'a struct_ops with the same name (e.g. TCP congestion control name) is already registered';
    else if (err.code === 'EBUSY') e.hint = 'this map is already registered; close its link first';
    else if (err.code === 'EINVAL' && map.kernelTypeName === 'tcp_congestion_ops') {
      e.hint = 'the kernel rejected the value: check ssthresh/undo_cwnd/cong_avoid (or cong_control) are set and, for updates, that the name is the same';
    }
  }
  return err;
}
