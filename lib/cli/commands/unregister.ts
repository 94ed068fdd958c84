// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { resolve } from 'node:path';
import { BpfError, findRegistrations, isBpfError, type StructOpsRegistration, type Unregistered, type UnregisterTarget } from '../../index';
import { flag, hasFlag, parseId, ParsedArgs, UsageError } from '../args';
import { CommandIo, Command, EXIT_FAIL, EXIT_OK } from '../command';

async function unregister(args: ParsedArgs, io: CommandIo): Promise<number> {
  const pin = flag(args, 'pin');
  const idArg = flag(args, 'id');
  const given = [pin !== undefined, idArg !== undefined, args.positionals.length > 0].filter(Boolean).length;
  if (given !== 1 || args.positionals.length > 1) throw new UsageError('give exactly one of NAME, --id ID, --pin PATH');
  if (hasFlag(args, 'all') && args.positionals.length === 0) throw new UsageError('--all goes with NAME (every map of that name)');
  const target: UnregisterTarget = pin !== undefined ? { pin: resolve(pin) }
    : idArg !== undefined ? { id: parseId(idArg) }
    : { name: args.positionals[0], all: hasFlag(args, 'all') };
  const found = findWithCliHints(target);
  if ('pin' in target) {
    // One registration, and one JSON object for it (not an array).
    const done = found[0].unregister();
    report(done, io);
    io.emit(pinJson(done));
    return EXIT_OK;
  }
  const done: Unregistered[] = [];
  for (const registration of found) {
    const ended = unregisterOne(registration, io);
    if (ended) done.push(ended);
  }
  io.emit(done.map(mapJson));
  return io.failed ? EXIT_FAIL : EXIT_OK;
}

/** findRegistrations, with the library's hint for an ambiguous name put in this command's flags. */
function findWithCliHints(target: UnregisterTarget): StructOpsRegistration[] {
  try {
    return findRegistrations(target);
  } catch (err) {
    if (!isBpfError(err) || err.code !== 'EEXIST' || !('name' in target)) throw err;
    throw new BpfError(err.message, { code: err.code, map: err.map, cause: err,
      hint: 'pick one with --id ID (see `struct-ops show`), or add --all to unregister every one' });
  }
}

/** Ends one of several registrations; a failure is reported and the next one still tried. */
function unregisterOne(registration: StructOpsRegistration, io: CommandIo): Unregistered | undefined {
  try {
    const done = registration.unregister();
    report(done, io);
    return done;
  } catch (err) {
    io.fail(err);
    return undefined;
  }
}

/** The text line of what was ended, and a warning for each pin left behind (exit 0: it is unregistered). */
function report(done: Unregistered, io: CommandIo): void {
  for (const w of done.warnings) io.warn(w.hint ? `${w.message} (${w.hint})` : w.message);
  if (io.json) return;
  const what = `${done.kernelType || 'struct_ops'} ${done.name ?? ''}`.trimEnd();
  const unpinned = done.unpinned.length > 0 ? ` (unpinned ${done.unpinned.join(', ')})` : '';
  if (done.kind === 'detached-link') {
    io.out(done.unpinned.length > 0 ? `Unpinned ${done.pin}: link id ${done.linkIds[0]} was already detached`
      : `Link id ${done.linkIds[0]} pinned at ${done.pin} was already detached`);
  } else if (done.kind === 'legacy') {
    io.out(`Unregistered ${what} id ${done.mapId}${unpinned}`);
  } else if (done.pin !== undefined) {
    io.out(`Unregistered ${what} map id ${done.mapId} link id ${done.linkIds.join(', ')} ` +
      `(detached${done.unpinned.length > 0 ? `, unpinned ${done.pin}` : ''})`);
  } else {
    io.out(`Unregistered ${what} map id ${done.mapId}: detached link id ${done.linkIds.join(', ')}${unpinned}`);
  }
}

/** What `unregister --json` prints per map (bpftool's snake_case). */
function mapJson(done: Unregistered): object {
  return { map: done.name, kernel_struct_ops: done.kernelType, map_id: done.mapId,
    ...(done.kind === 'link' ? { link_ids: done.linkIds } : {}), unpinned: done.unpinned };
}

/** What `unregister --pin PATH --json` prints. */
function pinJson(done: Unregistered): object {
  if (done.kind === 'detached-link') return { pin: done.pin, link_id: done.linkIds[0], map_id: null, unpinned: done.unpinned };
  return { pin: done.pin, map: done.name ?? null, kernel_struct_ops: done.kernelType ?? null, map_id: done.mapId,
    ...(done.kind === 'link' ? { link_ids: done.linkIds } : {}), unpinned: done.unpinned };
}

/** `struct-ops unregister NAME [--all] | --id ID | --pin PATH`. */
export const unregisterCommand: Command = {
  name: 'unregister',
  summary: 'end a registration: a struct_ops map by name or id, or a pinned link (root)',
  usage: `Usage: struct-ops unregister NAME [--all] | --id ID | --pin PATH  [-j | -p]

NAME / --id ID   the struct_ops map with that map name or id (see \`struct-ops show\`):
                 a legacy map is unregistered (BPF_MAP_DELETE_ELEM); for a link-based map
                 its links are detached (BPF_LINK_DETACH). Pins of what it ends (found on
                 every mounted bpffs) are removed; a pin that cannot be is named in a
                 warning (exit 0: the registration has ended).
                 Several maps with that name are refused unless --all.
--pin PATH       a link pinned by \`struct-ops register --pin-dir\`: detach it and remove
                 the pin (a pinned legacy map: unregister it and remove the pin).
-j, --json       a JSON array of {map, kernel_struct_ops, map_id, link_ids, unpinned}
                 (an object for --pin)

Exits 0 when every registration it names has ended; 1 when nothing matched or any
stays registered (the error says so; with --all the others are still ended). Needs root.`,
  flags: [{ name: 'id', value: true }, { name: 'pin', value: true }, { name: 'all', value: false }],
  run: unregister,
};
