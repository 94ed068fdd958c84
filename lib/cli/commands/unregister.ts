import { readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { BpfError } from '../../errors';
import { unpin } from '../../object/pin';
import { openPinnedLink } from '../../object/pinned-link';
import { BPF_F_LINK, Fd, linkDetach, linkGetFdById, mapDeleteElem, mapGetFdById, mapGetInfo, objGet } from '../../sys';
import { findStructOps, FoundStructOps, notFound } from '../../struct-ops/introspect/list';
import { withFdById } from '../../struct-ops/introspect/objects';
import { flag, hasFlag, parseId, ParsedArgs, UsageError } from '../args';
import { CommandIo, Command, EXIT_FAIL, EXIT_OK } from '../command';
import { pinsOf } from '../pin-table';

const KEY0 = Buffer.alloc(4);

/** What `unregister --json` prints per map (bpftool's snake_case). */
interface Unregistered {
  map: string;
  kernel_struct_ops: string;
  map_id: number;
  /** Links detached (link-based maps). */
  link_ids?: number[];
  /** Pins removed. */
  unpinned: string[];
}

async function unregister(args: ParsedArgs, io: CommandIo): Promise<number> {
  const pin = flag(args, 'pin');
  const idArg = flag(args, 'id');
  const given = [pin !== undefined, idArg !== undefined, args.positionals.length > 0].filter(Boolean).length;
  if (given !== 1 || args.positionals.length > 1) throw new UsageError('give exactly one of NAME, --id ID, --pin PATH');
  if (hasFlag(args, 'all') && args.positionals.length === 0) throw new UsageError('--all goes with NAME (every map of that name)');
  if (pin !== undefined) return unregisterPin(resolve(pin), io);
  if (idArg !== undefined) {
    const id = parseId(idArg);
    return unregisterMaps(findStructOps({ id }), id, io);
  }
  const name = args.positionals[0];
  const found = findStructOps({ name });
  if (found.length > 1 && !hasFlag(args, 'all')) {
    throw new BpfError(`${found.length} struct_ops maps are named ${name} (map ids ${found.map((f) => f.info.id).join(', ')}): ` +
      'refusing to guess which one to unregister; nothing was unregistered', {
      code: 'EEXIST', map: name, hint: 'pick one with --id ID (see `struct-ops show`), or add --all to unregister every one',
    });
  }
  return unregisterMaps(found, name, io);
}

/**
 * Ends the registration of every map found: legacy ones by map, link ones by their links;
 * then removes the pins of what it ended (found by walking bpffs, see pin-table.ts).
 */
function unregisterMaps(found: FoundStructOps[], target: number | string, io: CommandIo): number {
  if (found.length === 0) throw notFound(target);
  const done: Unregistered[] = [];
  for (const { info, mapInfo } of found) {
    const what = `${info.kernelType || 'struct_ops'} ${info.name}`;
    try {
      if ((mapInfo.mapFlags & BPF_F_LINK) === 0) {
        const pins = pinsOf('map', info.id);
        deleteLegacy(info.id, what);
        const unpinned = removePins(pins, io);
        done.push({ map: info.name, kernel_struct_ops: info.kernelType, map_id: info.id, unpinned });
        if (!io.json) io.out(`Unregistered ${what} id ${info.id}${unpinnedText(unpinned)}`);
        continue;
      }
      if (info.linkIds.length === 0) {
        throw new BpfError(`${what} map id ${info.id} is link-based and has no link: it is not registered`, { code: 'ENOENT', map: info.name });
      }
      const pins = info.linkIds.flatMap((linkId) => pinsOf('link', linkId));
      for (const linkId of info.linkIds) withFdById(linkGetFdById, linkId, (fd) => linkDetach(fd));
      const unpinned = removePins(pins, io);
      done.push({ map: info.name, kernel_struct_ops: info.kernelType, map_id: info.id, link_ids: info.linkIds, unpinned });
      if (!io.json) io.out(`Unregistered ${what} map id ${info.id}: detached link id ${info.linkIds.join(', ')}${unpinnedText(unpinned)}`);
    } catch (err) {
      io.fail(err);
    }
  }
  io.emit(done);
  return io.failed ? EXIT_FAIL : EXIT_OK;
}

/** Unpins each path; one that cannot be removed is reported with how to remove it. */
function removePins(paths: string[], io: CommandIo): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    try {
      unpin(path);
      removed.push(path);
    } catch (err) {
      const why = err instanceof BpfError ? err.message : String(err);
      io.fail(new BpfError(`the pin ${path} remains (${why})`, { code: (err as BpfError).code ?? 'EIO', hint: `remove it with rm ${path}` }));
    }
  }
  return removed;
}

function unpinnedText(paths: string[]): string {
  return paths.length > 0 ? ` (unpinned ${paths.join(', ')})` : '';
}

function deleteLegacy(id: number, what: string, fd?: Fd): void {
  const del = (mapFd: Fd): void => {
    try {
      mapDeleteElem(mapFd, KEY0);
    } catch (err) {
      if (!(err instanceof BpfError)) throw err;
      if (err.code === 'ENOENT') {
        throw new BpfError(`${what} id ${id} is loaded but not registered`, { code: 'ENOENT', cause: err,
          hint: 'the process that loaded it has not registered it (or it was unregistered already)' });
      }
      if (err.code === 'EINPROGRESS') throw new BpfError(`${what} id ${id} is already being unregistered`, { code: 'EINPROGRESS', cause: err });
      throw err;
    }
  };
  if (fd) del(fd);
  // The map walk closed its fd; reopen it by id (a registered map lives on).
  else if (withFdById(mapGetFdById, id, (f) => (del(f), true)) === undefined) throw notFound(id);
}

/** A pinned link: detach + unpin. A pinned legacy map: unregister + unpin. */
function unregisterPin(path: string, io: CommandIo): number {
  const probe = objGetOrExplain(path);
  try {
    const kind = readlinkSync(`/proc/self/fd/${probe.raw}`).replace('anon_inode:', '');
    if (kind === 'bpf-map') {
      const info = mapGetInfo(probe);
      const found = findStructOps({ id: info.id })[0];
      if (!found) throw new BpfError(`${path} is a pinned ${info.name} map, not a struct_ops map`, { code: 'EINVAL' });
      const what = `${found.info.kernelType || 'struct_ops'} ${info.name}`;
      if (found.info.state === 'INUSE') deleteLegacy(info.id, what, probe);
      unpin(path);
      io.emit({ pin: path, map: info.name, kernel_struct_ops: found.info.kernelType, map_id: info.id, unpinned: [path] });
      if (!io.json) io.out(`Unregistered ${what} id ${info.id} (unpinned ${path})`);
      return EXIT_OK;
    }
  } finally {
    probe.close();
  }
  const link = openPinnedLink(path);
  try {
    const { id: linkId, structOpsMapId: mapId = 0 } = link.info();
    if (mapId === 0) {
      unpin(path);
      io.emit({ pin: path, link_id: linkId, map_id: null, unpinned: [path] });
      if (!io.json) io.out(`Unpinned ${path}: link id ${linkId} was already detached`);
      return EXIT_OK;
    }
    const found = findStructOps({ id: mapId })[0];
    const what = `${found?.info.kernelType || 'struct_ops'} ${found?.info.name ?? ''}`.trimEnd();
    link.detach();
    unpin(path);
    io.emit({ pin: path, map: found?.info.name ?? null, kernel_struct_ops: found?.info.kernelType ?? null, map_id: mapId,
      link_ids: [linkId], unpinned: [path] });
    if (!io.json) io.out(`Unregistered ${what} map id ${mapId} link id ${linkId} (detached, unpinned ${path})`);
    return EXIT_OK;
  } finally {
    link.close();
  }
}

function objGetOrExplain(path: string): Fd {
  try {
    return objGet(path);
  } catch {
    // openPinnedLink gives the precise error (nothing pinned, not on bpffs, EACCES, ...).
    openPinnedLink(path).close();
    throw new BpfError(`cannot open the pin at ${path}`, { code: 'EINVAL' });
  }
}

/** `struct-ops unregister NAME [--all] | --id ID | --pin PATH`. */
export const unregisterCommand: Command = {
  name: 'unregister',
  summary: 'end a registration: a struct_ops map by name or id, or a pinned link (root)',
  usage: `Usage: struct-ops unregister NAME [--all] | --id ID | --pin PATH  [-j | -p]

NAME / --id ID   the struct_ops map with that map name or id (see \`struct-ops show\`):
                 a legacy map is unregistered (BPF_MAP_DELETE_ELEM); for a link-based map
                 its links are detached (BPF_LINK_DETACH). Pins of what it ends (found on
                 every mounted bpffs) are removed; a pin that cannot be is named, exit 1.
                 Several maps with that name are refused unless --all.
--pin PATH       a link pinned by \`struct-ops register --pin-dir\`: detach it and remove
                 the pin (a pinned legacy map: unregister it and remove the pin).
-j, --json       a JSON array of {map, kernel_struct_ops, map_id, link_ids, unpinned}
                 (an object for --pin)

Exits 1 when nothing matched or any unregistration failed. Needs root.`,
  flags: [{ name: 'id', value: true }, { name: 'pin', value: true }, { name: 'all', value: false }],
  run: unregister,
};
