import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BpfError } from '../../errors';
import { BpfObject, openObject, StructOpsMap } from '../../object';
import { structOpsName } from '../../object/link-hints';
import { ensureBpffsDir } from '../../object/pin';
import { openPinnedLink } from '../../object/pinned-link';
import { flag, hasFlag, ParsedArgs } from '../args';
import { CliIo, Command, EXIT_FAIL, EXIT_OK, EXIT_USAGE } from '../command';
import { reportError } from '../errors';

/** What `register --json` prints per map. */
interface Registered {
  map: string;
  kernelStructOps: string;
  algorithm?: string;
  mapId: number;
  linkId?: number;
  pinned?: string;
}

/**
 * The struct_ops maps named by `--map` (all auto-created ones when none), or undefined
 * after printing why not (unknown name, nothing to register).
 */
export function selectMaps(obj: BpfObject, file: string, names: string[], io: CliIo, command: string): StructOpsMap[] | undefined {
  const all = [...obj.structOps.values()];
  if (all.length === 0) {
    io.err(`struct-ops ${command}: no struct_ops found in ${file}`);
    io.err('hint: a struct_ops object defines variables in SEC(".struct_ops") or SEC(".struct_ops.link")');
    return undefined;
  }
  if (names.length === 0) return all.filter((m) => m.structOps.autocreate);
  const unknown = names.filter((n) => !obj.structOps.has(n));
  if (unknown.length > 0) {
    io.err(`struct-ops ${command}: no struct_ops map named ${unknown.join(', ')} in ${file}`);
    io.err(`available maps: ${all.map(describeMap).join(', ')}`);
    return undefined;
  }
  return [...new Set(names)].map((n) => obj.structOps.get(n)!);
}

/** `cubic_link (.struct_ops.link)`. */
export function describeMap(map: StructOpsMap): string {
  return `${map.name} (${map.structOps.section})`;
}

async function register(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) {
    io.err(`struct-ops register: expected one object file\n\n${registerCommand.usage}`);
    return EXIT_USAGE;
  }
  const file = args.positionals[0];
  const pinDirArg = flag(args, 'pin-dir');
  const pinDir = pinDirArg === undefined ? undefined : resolve(pinDirArg);
  const json = hasFlag(args, 'json');
  let obj: BpfObject;
  try {
    obj = await openObject(file);
  } catch (err) {
    return reportError(io, 'register', err);
  }
  try {
    const maps = selectMaps(obj, file, args.flags.get('map') ?? [], io, 'register');
    if (!maps) return EXIT_FAIL;
    const links = maps.filter((m) => m.isLink);
    if (links.length > 0 && pinDir === undefined) {
      // bpftool's trap: it attaches such maps and they vanish with its link fds on exit.
      io.err(`struct-ops register: ${links.map(describeMap).join(', ')} ${links.length > 1 ? 'are' : 'is'} link-based: ` +
        'the registration would end when this command exits and closes the link; nothing was registered');
      const legacy = maps.filter((m) => !m.isLink).map((m) => `--map ${m.name}`).join(' ');
      io.err('hint: add --pin-dir DIR to pin each link at DIR/<map name> (e.g. --pin-dir /sys/fs/bpf/cc)' +
        `${legacy ? `, register only the legacy maps (${legacy})` : ''}, or use the legacy SEC(".struct_ops") section`);
      return EXIT_FAIL;
    }
    await obj.load();
    for (const w of obj.warnings) io.err(`warning: ${w}`);
    if (links.length > 0 && pinDir !== undefined) {
      const taken = links.map((m) => join(pinDir, m.name)).filter((p) => existsSync(p));
      if (taken.length > 0) {
        throw new BpfError(`pin path ${taken.join(', ')} already exists`, {
          code: 'EEXIST', hint: 'unregister the old registration (struct-ops unregister --pin PATH) or use another --pin-dir',
        });
      }
      const mounted = ensureBpffsDir(pinDir);
      if (mounted) io.err(`note: mounted a BPF filesystem at ${mounted}`);
    }
    const done: Registered[] = [];
    let failed = 0;
    for (const map of maps) {
      try {
        const entry = map.isLink ? await registerLink(map, join(pinDir!, map.name)) : await registerLegacy(map);
        done.push(entry);
        if (!json) io.out(registeredLine(entry));
      } catch (err) {
        failed++;
        reportError(io, 'register', err);
      }
    }
    if (json) io.out(JSON.stringify(done));
    return failed > 0 ? EXIT_FAIL : EXIT_OK;
  } catch (err) {
    return reportError(io, 'register', err);
  } finally {
    // Legacy registrations were made with persist and pinned links hold their maps.
    obj.close();
  }
}

async function registerLegacy(map: StructOpsMap): Promise<Registered> {
  await map.attach({ persist: true });
  return { map: map.name, kernelStructOps: map.kernelTypeName, algorithm: structOpsName(map), mapId: map.id };
}

async function registerLink(map: StructOpsMap, path: string): Promise<Registered> {
  const link = await map.attach();
  let linkId: number;
  try {
    linkId = link.id;
    link.pin(path);
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
  return { map: map.name, kernelStructOps: map.kernelTypeName, algorithm: structOpsName(map), mapId, linkId, pinned: path };
}

function registeredLine(r: Registered): string {
  if (r.linkId === undefined) return `Registered ${r.kernelStructOps} ${r.map} id ${r.mapId}`;
  return `Registered ${r.kernelStructOps} ${r.map} map id ${r.mapId} link id ${r.linkId} pinned at ${r.pinned}`;
}

/** `struct-ops register FILE.o [--map NAME]... [--pin-dir DIR] [--json]`. */
export const registerCommand: Command = {
  name: 'register',
  summary: 'load an object and register its struct_ops maps with the kernel (root)',
  usage: `Usage: struct-ops register FILE.o [--map NAME]... [--pin-dir DIR] [--json]

Loads FILE.o and registers every struct_ops map in it (or only those named with --map)
so that they stay registered after this command exits:

  SEC(".struct_ops")       registered with the map (BPF_MAP_UPDATE_ELEM); stays until
                           \`struct-ops unregister NAME\`.
  SEC(".struct_ops.link")  registered through a BPF link, pinned at DIR/<map name>; stays
                           until \`struct-ops unregister --pin DIR/<map name>\`. Needs
                           --pin-dir: an unpinned link would end when this command exits,
                           so link-based maps are refused without it.

--pin-dir DIR must be on a BPF filesystem; when it is not, bpffs is mounted (at
/sys/fs/bpf for paths below it, else at DIR). Prints one line per map, or a JSON array
with --json; warnings go to stderr. Exits 1 if any map failed (e.g. name taken). Needs root.`,
  flags: [{ name: 'map', value: true }, { name: 'pin-dir', value: true }, { name: 'json', value: false }],
  run: register,
};
