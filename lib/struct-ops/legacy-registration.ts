// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Legacy (`SEC(".struct_ops")`) registrations: the kernel keeps them until someone deletes
 * the map's element, even after every fd is closed. So that a forgotten one does not outlive
 * the program by accident, live non-persistent registrations are unregistered from a process
 * 'exit' hook, and also on SIGINT and SIGTERM when nothing else in the process handles that
 * signal (Node's default there is to die without running 'exit' hooks): the hook ends the
 * registrations, then re-raises the signal so its default outcome proceeds (the process
 * dies of it). A process that handles the signal itself exits its own way and the 'exit'
 * hook runs then. SIGKILL, a crash or SIGHUP/SIGQUIT run no hook: only link-based
 * registrations are crash-safe. The hooks exist only while such a registration is live.
 */
import { BpfError } from '../errors';
import { BpfMapType, Fd, mapDeleteElem, mapGetFdById, mapGetInfo, KEY_ZERO } from '../sys';
import type { RegistrableMap } from './registrable-map';


/** Live registrations the exit hook must end. */
const endAtExit = new Set<LegacyRegistration>();
let hooked = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else listens: the application handles this signal and decides when to exit
  // (the 'exit' hook runs then). Otherwise the signal's default is death: end first.
  if (process.listenerCount(signal) > 1) return;
  onExit();
  unhook();
  process.kill(process.pid, signal);
}

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
  readonly map: RegistrableMap;
  /** Kernel map id, kept so the registration can be ended after the object is closed. */
  readonly mapId: number;
  readonly persist: boolean;

  constructor(map: RegistrableMap, persist: boolean) {
    this.map = map;
    this.mapId = map.id;
    this.persist = persist;
    if (persist) return;
    endAtExit.add(this);
    hook();
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
    // No live registration left: the process's signals behave as if we were never here.
    if (endAtExit.size === 0) unhook();
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
      return endLegacyRegistration(fd) === 'ended';
    } finally {
      own?.close();
    }
  }
}

/** What {@link endLegacyRegistration} found. */
export type LegacyEnd = 'ended' | 'not-registered' | 'being-unregistered';

/**
 * Ends the legacy registration of the struct_ops map `fd` (BPF_MAP_DELETE_ELEM key 0), the
 * one way there is to end it, from this process or any other.
 * @returns 'ended'; 'not-registered' when the map was never registered or is unregistered
 *   already (ENOENT); 'being-unregistered' when another call is ending it now (EINPROGRESS).
 * @throws {BpfError} any other refusal: the registration is left as it was.
 */
export function endLegacyRegistration(fd: Fd): LegacyEnd {
  try {
    mapDeleteElem(fd, KEY_ZERO);
    return 'ended';
  } catch (err) {
    const code = (err as BpfError).code;
    if (code === 'ENOENT') return 'not-registered';
    if (code === 'EINPROGRESS') return 'being-unregistered';
    throw err;
  }
}
