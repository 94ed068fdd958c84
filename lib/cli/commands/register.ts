// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeMap, selectMaps } from '../select-maps';
import { BpfError, ensureBpffsDir, openObject, openPinnedLink, StructOpsMap, structOpsName } from '../../index';
import { flag, flagValues, ParsedArgs, UsageError } from '../args';
import { Command, CommandIo, EXIT_FAIL, EXIT_OK } from '../command';

/** What `register --json` prints per map (bpftool's snake_case). */
interface Registered {
  map: string;
  kernel_struct_ops: string;
  algorithm?: string;
  map_id: number;
  link_id?: number;
  pinned?: string;
}

async function register(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError(`expected one object file, got ${args.positionals.length}`);
  const file = args.positionals[0];
  const pinDirArg = flag(args, 'pin-dir');
  const pinDir = pinDirArg === undefined ? undefined : resolve(pinDirArg);
  const obj = await openObject(file);
  try {
    const maps = selectMaps(obj, file, flagValues(args, 'map'));
    const links = maps.filter((m) => m.isLink);
    if (links.length > 0 && pinDir === undefined) {
      // bpftool's trap: it attaches such maps and they vanish with its link fds on exit.
      const legacy = maps.filter((m) => !m.isLink).map((m) => `--map ${m.name}`).join(' ');
      return io.fail(new BpfError(`${links.map(describeMap).join(', ')} ${links.length > 1 ? 'are' : 'is'} link-based: ` +
        'the registration would end when this command exits and closes the link; nothing was registered', {
        code: 'EINVAL',
        hint: 'add --pin-dir DIR to pin each link at DIR/<map name> (e.g. --pin-dir /sys/fs/bpf/cc)' +
          `${legacy ? `, register only the legacy maps (${legacy})` : ''}, or use the legacy SEC(".struct_ops") section`,
      }));
    }
    await obj.load();
    for (const w of obj.warnings) io.warn(w);
    if (pinDir !== undefined) {
      const taken = maps.map((m) => join(pinDir, m.name)).filter((p) => existsSync(p));
      if (taken.length > 0) {
        throw new BpfError(`pin path ${taken.join(', ')} already exists`, {
          code: 'EEXIST', hint: 'unregister the old registration (struct-ops unregister --pin PATH) or use another --pin-dir',
        });
      }
      const mounted = ensureBpffsDir(pinDir);
      if (mounted) io.note(`mounted a BPF filesystem at ${mounted}`);
    }
    // All or nothing: each step that changes the kernel pushes its undo, and a failure at
    // any later step (even reading an id back) undoes everything this command did, so the
    // exit status always matches what is left registered.
    const done: Registered[] = [];
    const undo: (() => void)[] = [];
    try {
      for (const map of maps) {
        const path = pinDir === undefined ? undefined : join(pinDir, map.name);
        done.push(map.isLink ? await registerLink(map, path!, undo) : await registerLegacy(map, path, undo));
      }
    } catch (err) {
      const stuck = rollBack(undo);
      if (stuck.length === 0) return io.fail(err);
      return io.fail(new BpfError(`${(err as Error).message}; undoing the registration failed too, so part of it remains: ${stuck.join('; ')}`, {
        code: (err as BpfError).code ?? 'EIO', cause: err, hint: 'check with struct-ops show and remove what remains with struct-ops unregister',
      }));
    }
    if (!io.json) for (const entry of done) io.out(registeredLine(entry));
    io.emit(done);
    return io.failed ? EXIT_FAIL : EXIT_OK;
  } finally {
    // Legacy registrations were made with persist and pinned links hold their maps.
    obj.close();
  }
}

/** Runs the undo steps, last first; returns what could not be undone. */
function rollBack(undo: (() => void)[]): string[] {
  const stuck: string[] = [];
  for (const step of undo.reverse()) {
    try {
      step();
    } catch (err) {
      stuck.push((err as Error).message);
    }
  }
  return stuck;
}

async function registerLegacy(map: StructOpsMap, path: string | undefined, undo: (() => void)[]): Promise<Registered> {
  const link = await map.attach({ persist: true });
  // close() ends a legacy registration even with persist (BPF_MAP_DELETE_ELEM).
  undo.push(() => link.close());
  const entry: Registered = { map: map.name, kernel_struct_ops: map.kernelTypeName, algorithm: structOpsName(map), map_id: map.id };
  if (path === undefined) return entry;
  // With --pin-dir the map is pinned too, so `unregister --pin` ends it like a pinned link.
  map.pin(path);
  undo.push(() => unlinkSync(path));
  return { ...entry, pinned: path };
}

async function registerLink(map: StructOpsMap, path: string, undo: (() => void)[]): Promise<Registered> {
  const link = await map.attach();
  let linkId: number;
  try {
    linkId = link.id;
    link.pin(path);
    undo.push(() => unlinkSync(path));
  } finally {
    // Pinned: the pin holds the registration. Not pinned: this ends it, as it must.
    link.close();
  }
  const mapId = map.id;
  // Never report a registration that is already gone: read it back through the pin.
  const check = openPinnedLink(path);
  try {
    if (check.info().structOpsMapId !== mapId) {
      throw new BpfError(`struct_ops ${map.name}: the link pinned at ${path} no longer points at map id ${mapId}`, {
        code: 'ENOLINK', map: map.name, hint: 'another process detached or updated it; check with struct-ops show',
      });
    }
  } finally {
    check.close();
  }
  return { map: map.name, kernel_struct_ops: map.kernelTypeName, algorithm: structOpsName(map), map_id: mapId, link_id: linkId, pinned: path };
}

function registeredLine(r: Registered): string {
  const pinned = r.pinned === undefined ? '' : ` pinned at ${r.pinned}`;
  if (r.link_id === undefined) return `Registered ${r.kernel_struct_ops} ${r.map} id ${r.map_id}${pinned}`;
  return `Registered ${r.kernel_struct_ops} ${r.map} map id ${r.map_id} link id ${r.link_id}${pinned}`;
}

/** `struct-ops register FILE.o [--map NAME]... [--pin-dir DIR] [-j | -p]`. */
export const registerCommand: Command = {
  name: 'register',
  summary: 'load an object and register its struct_ops maps with the kernel (root)',
  usage: `Usage: struct-ops register FILE.o [--map NAME]... [--pin-dir DIR] [-j | -p]

Loads FILE.o and registers every struct_ops map in it (or only those named with --map)
so that they stay registered after this command exits:

  SEC(".struct_ops")       registered with the map (BPF_MAP_UPDATE_ELEM); stays until
                           \`struct-ops unregister NAME\`. With --pin-dir the map is also
                           pinned at DIR/<map name> (\`unregister --pin\` then ends it).
  SEC(".struct_ops.link")  registered through a BPF link, pinned at DIR/<map name>; stays
                           until \`struct-ops unregister --pin DIR/<map name>\` (or
                           \`unregister NAME\`, which removes that pin too). Needs
                           --pin-dir: an unpinned link would end when this command exits,
                           so link-based maps are refused without it.

--pin-dir DIR must be on a BPF filesystem; when it is not, bpffs is mounted (at
/sys/fs/bpf for paths below it, else at DIR). Prints one line per map, or with -j a JSON
array of {map, kernel_struct_ops, algorithm, map_id, link_id, pinned}; warnings go to
stderr. Exits 1 if any map failed (e.g. name taken). Needs root.`,
  flags: [{ name: 'map', value: true, multiple: true }, { name: 'pin-dir', value: true }],
  run: register,
};
