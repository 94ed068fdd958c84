/**
 * Legacy (`SEC(".struct_ops")`) registrations: the kernel keeps them until someone deletes
 * the map's element, even after every fd is closed. So that a forgotten one does not outlive
 * the program by accident, live non-persistent registrations are unregistered from a process
 * 'exit' hook. A process killed by a signal it does not handle (SIGKILL, default SIGTERM or
 * SIGINT) runs no hook: only link-based registrations are crash-safe.
 */
import { BpfError } from '../errors';
import { BpfMapType, Fd, mapDeleteElem, mapGetFdById, mapGetInfo } from '../sys';
import type { StructOpsMap } from './struct-ops-map';

const KEY0 = Buffer.alloc(4);

/** Live registrations the exit hook must end. */
const endAtExit = new Set<LegacyRegistration>();
let hooked = false;

function onExit(): void {
  for (const reg of [...endAtExit]) {
    if (reg.kept) continue;
    try {
      reg.unregister();
    } catch {
      // The process is going away; nothing can report this any more.
    }
  }
}

/** @internal One legacy map registration (state INUSE after BPF_MAP_UPDATE_ELEM). */
export class LegacyRegistration {
  readonly map: StructOpsMap;
  /** Kernel map id, kept so the registration can be ended after the object is closed. */
  readonly mapId: number;
  readonly persist: boolean;

  constructor(map: StructOpsMap, persist: boolean) {
    this.map = map;
    this.mapId = map.id;
    this.persist = persist;
    if (persist) return;
    endAtExit.add(this);
    if (!hooked) {
      hooked = true;
      process.on('exit', onExit);
    }
  }

  /** True when the registration must survive this process (persist, or the map is pinned). */
  get kept(): boolean {
    return this.persist || this.map.pinned;
  }

  /**
   * Ends the registration (BPF_MAP_DELETE_ELEM key 0). Returns false when it had already
   * ended (deleted elsewhere, e.g. by `struct-ops unregister`). Called by the exit hook only
   * for registrations that are not {@link kept}.
   */
  unregister(): boolean {
    endAtExit.delete(this);
    let own: Fd | undefined;
    let fd: Fd;
    if (this.map.loaded) {
      fd = this.map.fd;
    } else {
      // The object was closed first: reach the map by id (it lives while registered).
      try {
        own = mapGetFdById(this.mapId);
      } catch (err) {
        if ((err as BpfError).code === 'ENOENT') return false;
        throw err;
      }
      fd = own;
      const info = mapGetInfo(own);
      if (info.type !== BpfMapType.STRUCT_OPS || info.name !== this.map.kernelName) {
        own.close();
        return false;
      }
    }
    try {
      mapDeleteElem(fd, KEY0);
      return true;
    } catch (err) {
      // ENOENT: never registered / already gone; EINPROGRESS: already being unregistered.
      const code = (err as BpfError).code;
      if (code === 'ENOENT' || code === 'EINPROGRESS') return false;
      throw err;
    } finally {
      own?.close();
    }
  }
}
