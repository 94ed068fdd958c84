// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Ending registrations made by another process (or an earlier run): a legacy map by
 * deleting its element, a link-based map by detaching its links, a pin by what it holds;
 * then removing the pins of what was ended.
 *
 * Everything that can fail without harm is done before the registration is touched: the
 * map walk, the bpffs walk for pins, reading names. A failure there ends nothing, and the
 * error says "nothing was unregistered". The one kernel call that ends the registration
 * comes last; if the kernel refuses it, the error says the registration is still there.
 * What follows it (removing pins) cannot undo it, so a failure there is a warning on the
 * result, not an error: the registration is gone either way.
 */
import { readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { BpfError, isBpfError } from '../errors';
import { type BpfLink, endLegacyRegistration, openPinnedLink, unpin } from '../object';
import { BPF_F_LINK, Fd, linkDetach, linkGetFdById, mapGetFdById, mapGetInfo, objGet } from '../sys';
import { findStructOps, FoundStructOps, notFound, type StructOpsInfo } from './list';
import { withFdById } from './objects';
import { PinTable } from './pins';

/**
 * What to unregister: the struct_ops map with a map id; the map with a map name (`all`:
 * every map of that name; without it, a name several maps share is refused); or what is
 * pinned at a path on bpffs (a struct_ops link, or a legacy struct_ops map).
 */
export type UnregisterTarget = { id: number } | { name: string; all?: boolean } | { pin: string };

/** One registration ended by {@link StructOpsRegistration.unregister}. */
export interface Unregistered {
  /**
   * 'legacy': the map's element was deleted; 'link': its links were detached;
   * 'detached-link': a pinned link that was detached already (only its pin was removed).
   */
  kind: 'legacy' | 'link' | 'detached-link';
  /** Map name; undefined when the map could not be found (a pinned link to a map since freed). */
  name?: string;
  /** Kernel struct, e.g. `'tcp_congestion_ops'` (`''` when no loaded BTF has it). */
  kernelType?: string;
  /** Map id; 0 for a 'detached-link'. */
  mapId: number;
  /** Links detached ('link'), or the pinned link ('detached-link'). */
  linkIds: number[];
  /** The pin the target named, for `{ pin }`. */
  pin?: string;
  /** Pins removed. */
  unpinned: string[];
  /** What failed after the registration had ended (a pin that remains): it is gone regardless. */
  warnings: BpfError[];
}

/** A registration found by {@link findRegistrations}, not yet touched. */
export interface StructOpsRegistration {
  kind: Unregistered['kind'];
  /** Undefined for a pinned link whose map could not be found. */
  info?: StructOpsInfo;
  /** Pins that will be removed with it. */
  pins: string[];
  /**
   * Ends the registration and removes its pins.
   * @throws {BpfError} when the kernel refused to end it (the message says it is still
   *   registered; code from the kernel, e.g. ENOMEM), ENOENT when it was not registered.
   */
  unregister(): Unregistered;
}

/**
 * Finds what `target` names, without changing anything: the registrations to end and
 * the pins that go with them (every mounted bpffs is searched, as bpftool does).
 *
 * @throws {BpfError} ENOENT when nothing matches (with a hint); EEXIST when a name is
 *   shared by several maps and `all` is not set; EINVAL for a pin that is no struct_ops
 *   link or map; EPERM without root; a kernel error (e.g. ENOMEM) when looking failed.
 *   Nothing was unregistered in any of these cases.
 * @example
 * for (const reg of findRegistrations({ name: 'mycc', all: true })) console.log(reg.unregister());
 */
export function findRegistrations(target: UnregisterTarget): StructOpsRegistration[] {
  try {
    if ('pin' in target) return [findPinned(resolve(target.pin))];
    const found = 'id' in target ? findStructOps({ id: checkedId(target.id) }) : findStructOps({ name: target.name });
    const what = 'id' in target ? target.id : target.name;
    if (found.length === 0) throw notFound(what);
    if ('name' in target && found.length > 1 && !target.all) {
      throw new BpfError(`${found.length} struct_ops maps are named ${target.name} (map ids ${found.map((f) => f.info.id).join(', ')}): ` +
        'refusing to guess which one to unregister; nothing was unregistered', {
        code: 'EEXIST', map: target.name, hint: 'pick one by id (see `struct-ops show`), or pass all to unregister every one',
      });
    }
    const pins = new PinTable();
    return found.map((f) => mapRegistration(f, pins));
  } catch (err) {
    throw nothingUnregistered(err);
  }
}

/**
 * Ends the registrations `target` names and removes their pins: {@link findRegistrations}
 * then `unregister()` on each, stopping at the first that fails (those before it stay
 * ended). Use findRegistrations to handle each one's failure yourself.
 *
 * @throws {BpfError} the errors of findRegistrations and of unregister().
 * @example
 * const [done] = unregisterStructOps({ pin: '/sys/fs/bpf/cc/mycc' });
 * for (const w of done.warnings) console.warn(w.message);
 */
export function unregisterStructOps(target: UnregisterTarget): Unregistered[] {
  return findRegistrations(target).map((reg) => reg.unregister());
}

function checkedId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) {
    throw new BpfError(`a map id is an integer from 1 to 4294967295, not ${id}`, { code: 'EINVAL' });
  }
  return id;
}

/** `tcp_congestion_ops mycc`, as messages name a map. */
function mapLabel(info: StructOpsInfo): string {
  return `${info.kernelType || 'struct_ops'} ${info.name}`;
}

/** A map found by id or name: legacy (delete its element) or link-based (detach its links). */
function mapRegistration({ info, mapInfo }: FoundStructOps, table: PinTable): StructOpsRegistration {
  const what = mapLabel(info);
  if ((mapInfo.mapFlags & BPF_F_LINK) === 0) {
    const pins = table.pinsOf('map', info.id);
    return {
      kind: 'legacy', info, pins,
      unregister: () => {
        let ended;
        try {
          // The walk closed its fd; reopen it by id (a registered map lives on).
          ended = withFdById(mapGetFdById, info.id, (fd) => (endLegacy(fd, `${what} id ${info.id}`), true));
        } catch (err) {
          throw stillRegistered(`${what} id ${info.id}`, err);
        }
        if (ended === undefined) throw gone(`${what} id ${info.id}`);
        return { ...result('legacy', info, []), ...removePins(pins) };
      },
    };
  }
  const pins = info.linkIds.flatMap((linkId) => table.pinsOf('link', linkId));
  return {
    kind: 'link', info, pins,
    unregister: () => {
      if (info.linkIds.length === 0) {
        throw new BpfError(`${what} map id ${info.id} is link-based and has no link: it is not registered`, { code: 'ENOENT', map: info.name });
      }
      const detached: number[] = [];
      for (const linkId of info.linkIds) {
        try {
          // A link gone meanwhile (closed, detached and freed) registers nothing any more.
          withFdById(linkGetFdById, linkId, (fd) => linkDetach(fd));
        } catch (err) {
          const done = detached.length > 0 ? ` (detached link id ${detached.join(', ')})` : '';
          throw stillRegistered(`${what} map id ${info.id} link id ${linkId}${done}`, err);
        }
        detached.push(linkId);
      }
      return { ...result('link', info, detached), ...removePins(pins) };
    },
  };
}

/** What is pinned at `path`: a link (detach it) or a legacy struct_ops map (unregister it). */
function findPinned(path: string): StructOpsRegistration {
  const probe = openPin(path);
  let kind: string;
  let mapId: number;
  try {
    kind = readlinkSync(`/proc/self/fd/${probe.raw}`).replace('anon_inode:', '');
    mapId = kind === 'bpf-map' ? mapGetInfo(probe).id : 0;
  } finally {
    probe.close();
  }
  if (kind === 'bpf-map') {
    const found = findStructOps({ id: mapId })[0];
    if (!found) throw new BpfError(`${path} is a pinned map, not a struct_ops map`, { code: 'EINVAL' });
    const { info } = found;
    return {
      kind: 'legacy', info, pins: [path],
      unregister: () => {
        let fd: Fd | undefined;
        try {
          fd = openPin(path);
          if (mapGetInfo(fd).id !== info.id) throw gone(`${mapLabel(info)} id ${info.id} pinned at ${path}`);
          // A pinned map that is not registered (any more) only loses its pin.
          if (info.state === 'INUSE') endLegacy(fd, `${mapLabel(info)} id ${info.id}`);
        } catch (err) {
          throw stillRegistered(`${mapLabel(info)} id ${info.id}`, err);
        } finally {
          fd?.close();
        }
        return { ...result('legacy', info, [], path), ...removePins([path]) };
      },
    };
  }
  // openPinnedLink refuses what is not a struct_ops link, with the reason.
  const link = openPinnedLink(path);
  let linkId: number;
  try {
    ({ id: linkId, structOpsMapId: mapId = 0 } = link.info());
  } finally {
    link.close();
  }
  if (mapId === 0) {
    return {
      kind: 'detached-link', pins: [path],
      unregister: () => ({ kind: 'detached-link', mapId: 0, linkIds: [linkId], pin: path, ...removePins([path]) }),
    };
  }
  const info = findStructOps({ id: mapId })[0]?.info;
  const what = `${info ? mapLabel(info) : 'struct_ops'} map id ${mapId} link id ${linkId}`;
  return {
    kind: 'link', info, pins: [path],
    unregister: () => {
      let again: BpfLink | undefined;
      try {
        again = openPinnedLink(path);
        if (again.info().id !== linkId) throw gone(`link id ${linkId} pinned at ${path}`);
        again.detach();
      } catch (err) {
        throw stillRegistered(what, err);
      } finally {
        again?.close();
      }
      return { kind: 'link', name: info?.name, kernelType: info?.kernelType, mapId, linkIds: [linkId], pin: path, ...removePins([path]) };
    },
  };
}

function result(kind: 'legacy' | 'link', info: StructOpsInfo, linkIds: number[], pin?: string): Omit<Unregistered, 'unpinned' | 'warnings'> {
  return { kind, name: info.name, kernelType: info.kernelType, mapId: info.id, linkIds, ...(pin ? { pin } : {}) };
}

/** Deletes a legacy map's element; ENOENT and EINPROGRESS become errors that say why. */
function endLegacy(fd: Fd, what: string): void {
  const end = endLegacyRegistration(fd);
  if (end === 'not-registered') {
    throw new BpfError(`${what} is loaded but not registered`, { code: 'ENOENT',
      hint: 'the process that loaded it has not registered it (or it was unregistered already)' });
  }
  if (end === 'being-unregistered') throw new BpfError(`${what} is already being unregistered`, { code: 'EINPROGRESS' });
}

/** Unpins each path; one that cannot be removed is a warning naming how to remove it. */
function removePins(paths: string[]): Pick<Unregistered, 'unpinned' | 'warnings'> {
  const unpinned: string[] = [];
  const warnings: BpfError[] = [];
  for (const path of paths) {
    try {
      unpin(path);
      unpinned.push(path);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      warnings.push(new BpfError(`the pin ${path} remains (${why})`, {
        code: isBpfError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'EIO'), cause: err, hint: `remove it with rm ${path}`,
      }));
    }
  }
  return { unpinned, warnings };
}

/** BPF_OBJ_GET of a pin; on failure openPinnedLink says precisely why (nothing pinned, not bpffs, EACCES). */
function openPin(path: string): Fd {
  try {
    return objGet(path);
  } catch (err) {
    if (isBpfError(err) && EXPLAINED.has(err.code)) openPinnedLink(path).close();
    throw err;
  }
}

/** OBJ_GET refusals that openPinnedLink explains (nothing there, not on bpffs, no access). */
const EXPLAINED = new Set(['ENOENT', 'EACCES', 'EPERM']);

/** A kernel refusal while looking, reworded to say that nothing was changed. */
function nothingUnregistered(err: unknown): unknown {
  if (!isBpfError(err) || err.errno === undefined || /nothing was unregistered/.test(err.message)) return err;
  return new BpfError(`${err.message}; nothing was unregistered`, {
    code: err.code, errno: err.errno, command: err.command, map: err.map, hint: err.hint, cause: err,
  });
}

/**
 * The kernel refused a call made to end the registration (reopening it, or the ending call
 * itself): it is as it was. ENOENT (gone meanwhile) and the errors that explain themselves
 * (not registered, no errno) are passed on as they are.
 */
function stillRegistered(what: string, err: unknown): unknown {
  if (!isBpfError(err) || err.errno === undefined || err.code === 'ENOENT') return err;
  return new BpfError(`cannot unregister ${what}: ${err.message}; it is still registered`, {
    code: err.code, errno: err.errno, command: err.command, map: err.map, hint: err.hint, cause: err,
  });
}

function gone(what: string): BpfError {
  return new BpfError(`${what} no longer exists (unregistered elsewhere meanwhile); nothing was unregistered`, {
    code: 'ENOENT', hint: 'see what is registered with `struct-ops show`',
  });
}
