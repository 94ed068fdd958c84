// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError, isBpfError } from '../errors';
import {
  BpfAttachType, BpfLinkType, Fd, LinkInfo, linkCreate, linkDetach, linkGetInfo, linkUpdate, mapDeleteElem, mapGetFdById,
  mapUpdateElem,
  KEY_ZERO,
} from '../sys';
import { LegacyRegistration, withRegistrationHint, type RegistrableMap } from '../struct-ops';
import { pinObject } from '../pin';

/** Options of {@link StructOpsMap.attach}. */
export interface AttachOptions {
  /**
   * Legacy (`.struct_ops`) maps only: keep the registration after this process exits.
   * Without it, close() or the end of the process unregisters. A link-based registration
   * outlives the process only by pinning the link ({@link BpfLink.pin}).
   * @default false
   */
  persist?: boolean;
}

/** Options of {@link BpfLink.update}. */
export interface UpdateOptions {
  /**
   * Swap only if the link still points at this map (BPF_F_REPLACE): a struct_ops map of
   * this process, an fd of the map, or the map's kernel id (e.g. `link.info().structOpsMapId`
   * of a link opened from a pin). Otherwise the update fails with EPERM (ENOENT when no map
   * has that id any more) and the link is unchanged.
   */
  expected?: RegistrableMap | Fd | number;
}


/**
 * One registration of a struct_ops map.
 *
 * - `.struct_ops.link` maps: a BPF link (BPF_LINK_CREATE). The registration lasts while a
 *   reference holds the link: this handle's fd or a pin. It ends when the last one goes,
 *   also when the process crashes or is killed, so links are crash-safe. The object that
 *   created the link owns it: the registration lasts while the object is open, even when
 *   this handle is dropped, and ends with `obj.close()` unless the link is pinned.
 * - `.struct_ops` (legacy) maps: the map itself is registered (BPF_MAP_UPDATE_ELEM) and
 *   stays so until its element is deleted. `close()` does that; without `persist` (or a
 *   pinned map) a process 'exit' hook does it too. SIGKILL (or any signal the process
 *   does not handle) runs no hook, so such a legacy registration survives a crash.
 *
 * `M`: the type of {@link map} (StructOpsMap for the links `attach()` returns).
 *
 * @example
 * const link = await obj.structOps.get('mycc')!.attach();
 * link.pin('/sys/fs/bpf/mycc');   // link maps: survive this process
 * link.close();                   // drop this fd; the pin keeps it registered
 */
export class BpfLink<M extends RegistrableMap = RegistrableMap> {
  #map: M | undefined;
  #fd: Fd | undefined;
  #legacy: LegacyRegistration | undefined;
  #closed = false;

  private constructor(map: M | undefined, fd: Fd | undefined, legacy: LegacyRegistration | undefined) {
    this.#map = map;
    this.#fd = fd;
    this.#legacy = legacy;
  }

  /** @internal Registers `map` (see StructOpsMap.attach). */
  static attach<M extends RegistrableMap>(map: M, options: AttachOptions): BpfLink<M> {
    if (map.isLink && options.persist) {
      throw new BpfError(`struct_ops ${map.name}: a link-based registration cannot persist by itself`, {
        code: 'EINVAL', map: map.name,
        hint: 'attach without persist and pin the link (link.pin(path)), or put the variable in SEC(".struct_ops")',
      });
    }
    try {
      setValue(map);
      if (!map.isLink) {
        try {
          return new BpfLink<M>(map, undefined, new LegacyRegistration(map, options.persist === true));
        } catch (err) {
          // Registered, but its handle could not be made (e.g. ENOMEM reading the map id):
          // undo it, so a failed attach() never leaves a registration behind.
          try {
            mapDeleteElem(map.fd, KEY_ZERO);
          } catch {
            // nothing more to do: the original error is what the caller needs
          }
          throw err;
        }
      }
      const fd = linkCreate({ mapFd: map.fd, attachType: BpfAttachType.STRUCT_OPS });
      return new BpfLink<M>(map, fd, undefined);
    } catch (err) {
      throw withRegistrationHint(err, map, 'attach');
    }
  }

  /** @internal Wraps the link fd of a program attachment (program.attach()). */
  static ofProgram(fd: Fd): BpfLink {
    return new BpfLink(undefined, fd, undefined);
  }

  /**
   * @internal Wraps an fd of an existing struct_ops link (from a pin or an id).
   * @throws {BpfError} EINVAL when it is a link of another kind.
   */
  static fromFd(fd: Fd, where: string): BpfLink {
    const info = linkGetInfo(fd);
    if (info.type !== BpfLinkType.STRUCT_OPS) {
      throw new BpfError(`${where} is a ${BpfLinkType[info.type] ?? info.type} link, not a struct_ops link`, {
        code: 'EINVAL', hint: 'pass the pin of a struct_ops link (e.g. from struct-ops register --pin-dir)',
      });
    }
    return new BpfLink(undefined, fd, undefined);
  }

  /**
   * The struct_ops map of this process behind the registration. Undefined for a link opened
   * from a pin or by id (its map belongs to another process: see `info().structOpsMapId`).
   */
  get map(): M | undefined {
    return this.#map;
  }

  /** True for a BPF link, false for a legacy map registration. */
  get isLink(): boolean {
    return this.#fd !== undefined;
  }

  /** Legacy registrations: kept after the process exits (`persist`, or the map is pinned). */
  get persist(): boolean {
    return this.#legacy?.kept ?? false;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The link fd. @throws {BpfError} EBADF for legacy registrations or after close(). */
  get fd(): Fd {
    if (!this.#fd || this.#fd.closed) {
      throw new BpfError(this.#fd ? 'the link is closed' : `struct_ops ${this.#map?.name} is registered without a link`, {
        code: 'EBADF', map: this.#map?.name,
      });
    }
    return this.#fd;
  }

  /** Kernel link id. @throws {BpfError} EBADF for legacy registrations or after close(). */
  get id(): number {
    return this.info().id;
  }

  /** Kernel view of the link; `structOpsMapId` is 0 after {@link detach}. */
  info(): LinkInfo {
    return linkGetInfo(this.fd);
  }

  /**
   * Atomically replaces the implementation behind a live link with another loaded
   * `.struct_ops.link` map (BPF_LINK_UPDATE), possibly of another object: new callbacks
   * take over on the fly, running connections keep going. The kernel struct must be the
   * same and, for TCP, the algorithm name too. The link then holds the new map, so its
   * object may be closed.
   *
   * @throws {BpfError} EINVAL (different struct or algorithm name, or a legacy map);
   *   EPERM when `expected` is not the current map; EOPNOTSUPP on a legacy registration.
   */
  update(map: M, options: UpdateOptions = {}): void {
    if (!this.isLink) {
      throw new BpfError(`struct_ops ${this.#map?.name} is registered without a link; only links can be updated`, {
        code: 'EOPNOTSUPP', map: this.#map?.name, hint: 'put the variable in SEC(".struct_ops.link")',
      });
    }
    if (!map.isLink) {
      throw new BpfError(`struct_ops ${map.name} is a legacy .struct_ops map; a link can only switch to a .struct_ops.link map`, {
        code: 'EINVAL', map: map.name, hint: 'put the new variable in SEC(".struct_ops.link")',
      });
    }
    const expected = options.expected;
    // An expected map given by id is opened only for this call (before anything changes).
    const openedById = typeof expected === 'number' ? openExpectedMap(expected, map) : undefined;
    try {
      setValue(map);
      const oldFd = openedById ?? (expected === undefined || typeof expected === 'number' ? undefined : expected instanceof Fd ? expected : expected.fd);
      linkUpdate(this.fd, map.fd, { oldFd });
    } catch (err) {
      throw withRegistrationHint(err, map, 'update');
    } finally {
      openedById?.close();
    }
    this.#map = map;
  }

  /**
   * Pins the link at `path` on a BPF filesystem, so the registration outlives this
   * process; creates missing directories and mounts bpffs if needed (see ensureBpffsDir).
   * Undo with {@link unpin}, or end the registration with {@link detach}.
   *
   * @throws {BpfError} EOPNOTSUPP for legacy registrations (pin the map instead); EEXIST
   *   when the path exists; the pin-directory errors of ensureBpffsDir.
   */
  pin(path: string): void {
    if (!this.isLink) {
      throw new BpfError(`struct_ops ${this.#map?.name} is registered without a link; there is no link to pin`, {
        code: 'EOPNOTSUPP', map: this.#map?.name,
        hint: 'pin the map instead (map.pin(path)) or attach with { persist: true }',
      });
    }
    pinObject(this.fd, path);
  }

  /**
   * Ends the registration now, even if other fds or pins still hold the link
   * (BPF_LINK_DETACH; the link stays open and points at no map). For a legacy
   * registration: BPF_MAP_DELETE_ELEM, like close().
   */
  detach(): void {
    if (this.#legacy) {
      this.close();
      return;
    }
    linkDetach(this.fd);
  }

  /**
   * Releases this handle. For a link: closes its fd, which ends the registration unless
   * a pin or another process's fd still holds the link. For a legacy registration: ends it
   * (BPF_MAP_DELETE_ELEM), even with `persist`; doing nothing is how to keep it.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd) {
      this.#fd.close();
      return;
    }
    this.#legacy?.unregister();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * @internal Called by the owning object's close(): ends what only this handle keeps.
   * A link fd is closed (a pin still holds the link); a legacy registration ends unless it
   * is kept (`persist`, or a pinned map), which is then simply left registered.
   */
  releaseWithObject(): void {
    if (this.#closed) return;
    if (this.#legacy?.kept) {
      this.#closed = true;
      return;
    }
    this.close();
  }
}

/** Writes the kernel value; a link map already holding it answers EBUSY, which is fine. */
/**
 * The fd of the map with kernel id `id` that an update expects the link to point at.
 * @throws {BpfError} ENOENT when no map has that id (the link's old map was freed: it was
 *   updated or detached meanwhile)
 */
function openExpectedMap(id: number, map: RegistrableMap): Fd {
  try {
    return mapGetFdById(id);
  } catch (err) {
    if (!isBpfError(err) || err.code !== 'ENOENT') throw err;
    throw new BpfError(`struct_ops ${map.name}: the expected map id ${id} no longer exists`, {
      code: 'ENOENT', map: map.name, cause: err, hint: 'the link was updated or detached meanwhile; read link.info() and retry',
    });
  }
}

function setValue(map: RegistrableMap): void {
  try {
    mapUpdateElem(map.fd, KEY_ZERO, map.kernelValue, 0);
  } catch (err) {
    if (map.isLink && (err as BpfError).code === 'EBUSY') return;
    throw err;
  }
}
