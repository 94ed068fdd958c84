import { readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { BpfError } from '../../errors';
import { unpin } from '../../object/pin';
import { openPinnedLink } from '../../object/pinned-link';
import { BPF_F_LINK, Fd, linkDetach, linkGetFdById, mapDeleteElem, mapGetFdById, mapGetInfo, objGet } from '../../sys';
import { findStructOps, FoundStructOps, notFound } from '../../struct-ops/introspect/list';
import { withFdById } from '../../struct-ops/introspect/objects';
import { flag, ParsedArgs } from '../args';
import { CliIo, Command, EXIT_FAIL, EXIT_OK, EXIT_USAGE } from '../command';
import { reportError } from '../errors';

const KEY0 = Buffer.alloc(4);

async function unregister(args: ParsedArgs, io: CliIo): Promise<number> {
  const pin = flag(args, 'pin');
  const idArg = flag(args, 'id');
  const given = [pin !== undefined, idArg !== undefined, args.positionals.length > 0].filter(Boolean).length;
  if (given !== 1 || args.positionals.length > 1) {
    io.err(`struct-ops unregister: give exactly one of NAME, --id ID, --pin PATH\n\n${unregisterCommand.usage}`);
    return EXIT_USAGE;
  }
  try {
    if (pin !== undefined) return unregisterPin(resolve(pin), io);
    if (idArg !== undefined) {
      const id = Number(idArg);
      if (!Number.isInteger(id) || id <= 0) {
        io.err(`struct-ops unregister: --id must be a positive integer, got ${idArg}`);
        return EXIT_USAGE;
      }
      return unregisterMaps(findStructOps({ id }), id, io);
    }
    const name = args.positionals[0];
    return unregisterMaps(findStructOps({ name }), name, io);
  } catch (err) {
    return reportError(io, 'unregister', err);
  }
}

/** Ends the registration of every map found: legacy ones by map, link ones by their links. */
function unregisterMaps(found: FoundStructOps[], target: number | string, io: CliIo): number {
  if (found.length === 0) throw notFound(target);
  let failed = 0;
  for (const { info, mapInfo } of found) {
    const what = `${info.kernelType || 'struct_ops'} ${info.name}`;
    try {
      if ((mapInfo.mapFlags & BPF_F_LINK) === 0) {
        deleteLegacy(info.id, what);
        io.out(`Unregistered ${what} id ${info.id}`);
        continue;
      }
      if (info.linkIds.length === 0) {
        throw new BpfError(`${what} map id ${info.id} is link-based and has no link: it is not registered`, { code: 'ENOENT', map: info.name });
      }
      for (const linkId of info.linkIds) withFdById(linkGetFdById, linkId, (fd) => linkDetach(fd));
      io.out(`Unregistered ${what} map id ${info.id}: detached link id ${info.linkIds.join(', ')}`);
      io.err(`note: ${info.name} is link-based, so its link was detached (LINK_DETACH); a pinned link stays pinned, ` +
        'empty: remove it with `struct-ops unregister --pin PATH` or rm PATH');
    } catch (err) {
      failed++;
      reportError(io, 'unregister', err);
    }
  }
  return failed > 0 ? EXIT_FAIL : EXIT_OK;
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
function unregisterPin(path: string, io: CliIo): number {
  let kind: string;
  const probe = objGetOrExplain(path);
  try {
    kind = readlinkSync(`/proc/self/fd/${probe.raw}`).replace('anon_inode:', '');
    if (kind === 'bpf-map') {
      const info = mapGetInfo(probe);
      const found = findStructOps({ id: info.id })[0];
      if (!found) throw new BpfError(`${path} is a pinned ${info.name} map, not a struct_ops map`, { code: 'EINVAL' });
      const what = `${found.info.kernelType || 'struct_ops'} ${info.name}`;
      if (found.info.state === 'INUSE') deleteLegacy(info.id, what, probe);
      unpin(path);
      io.out(`Unregistered ${what} id ${info.id} (unpinned ${path})`);
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
      io.out(`Unpinned ${path}: link id ${linkId} was already detached`);
      return EXIT_OK;
    }
    const found = findStructOps({ id: mapId })[0];
    const what = `${found?.info.kernelType || 'struct_ops'} ${found?.info.name ?? ''}`.trimEnd();
    link.detach();
    unpin(path);
    io.out(`Unregistered ${what} map id ${mapId} link id ${linkId} (detached, unpinned ${path})`);
    return EXIT_OK;
  } finally {
    link.close();
  }
}

function objGetOrExplain(path: string): Fd {
  try {
    return objGet(path);
  } catch {
    // openPinnedLink gives the precise error (nothing pinned, not on bpffs, ...).
    openPinnedLink(path).close();
    throw new BpfError(`cannot open the pin at ${path}`, { code: 'EINVAL' });
  }
}

/** `struct-ops unregister NAME | --id ID | --pin PATH`. */
export const unregisterCommand: Command = {
  name: 'unregister',
  summary: 'end a registration: a struct_ops map by name or id, or a pinned link (root)',
  usage: `Usage: struct-ops unregister NAME | --id ID | --pin PATH

NAME / --id ID   the struct_ops map(s) with that map name or id (see \`struct-ops show\`):
                 a legacy map is unregistered (BPF_MAP_DELETE_ELEM); for a link-based map
                 its links are detached (BPF_LINK_DETACH); their pins, if any, stay.
--pin PATH       a link pinned by \`struct-ops register --pin-dir\`: detach it and remove
                 the pin (a pinned legacy map: unregister it and remove the pin).

Exits 1 when nothing matched or any unregistration failed. Needs root.`,
  flags: [{ name: 'id', value: true }, { name: 'pin', value: true }],
  run: unregister,
};
