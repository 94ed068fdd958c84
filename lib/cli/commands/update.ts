import { resolve } from 'node:path';
import { BpfError } from '../../errors';
import { BpfLink, BpfObject, openObject, StructOpsMap } from '../../object';
import { openPinnedLink } from '../../object/pinned-link';
import { mapGetFdById } from '../../sys';
import { withFdById } from '../../struct-ops/introspect/objects';
import { flag, hasFlag, ParsedArgs } from '../args';
import { CliIo, Command, EXIT_FAIL, EXIT_OK, EXIT_USAGE } from '../command';
import { reportError } from '../errors';
import { describeMap, selectMaps } from './register';

async function update(args: ParsedArgs, io: CliIo): Promise<number> {
  const pinArg = flag(args, 'pin');
  if (pinArg === undefined || args.positionals.length !== 1) {
    io.err(`struct-ops update: expected --pin PATH and one object file\n\n${updateCommand.usage}`);
    return EXIT_USAGE;
  }
  const pin = resolve(pinArg);
  const file = args.positionals[0];
  let link: BpfLink | undefined;
  let obj: BpfObject | undefined;
  try {
    link = openPinnedLink(pin);
    const before = link.info();
    const oldMapId = before.structOpsMapId ?? 0;
    if (oldMapId === 0) {
      throw new BpfError(`the link pinned at ${pin} (link id ${before.id}) is detached: there is nothing to update`, {
        code: 'ENOLINK', hint: 'register the object anew (struct-ops register --pin-dir) and remove the old pin',
      });
    }
    obj = await openObject(file);
    const map = pickLinkMap(obj, file, args.flags.get('map') ?? [], io);
    if (!map) return EXIT_FAIL;
    await obj.load();
    for (const w of obj.warnings) io.err(`warning: ${w}`);
    // BPF_F_REPLACE against the map read above: a concurrent update makes this fail, not clobber.
    const swapped = withFdById(mapGetFdById, oldMapId, (old) => {
      link!.update(map, { expected: old });
      return true;
    });
    if (swapped === undefined) throw new BpfError(`map id ${oldMapId} behind ${pin} vanished during the update`, { code: 'ENOENT' });
    const newMapId = map.id;
    const result = { pin, linkId: before.id, kernelStructOps: map.kernelTypeName, oldMapId, newMapId, map: map.name };
    if (hasFlag(args, 'json')) io.out(JSON.stringify(result));
    else io.out(`Updated link id ${before.id} (${pin}): ${map.kernelTypeName} map id ${oldMapId} -> ${map.name} map id ${newMapId}`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'update', err);
  } finally {
    // The link holds the new map now; neither this fd nor the object is needed any more.
    link?.close();
    obj?.close();
  }
}

/** The one `.struct_ops.link` map to switch to: --map NAME, or the object's only link map. */
function pickLinkMap(obj: BpfObject, file: string, names: string[], io: CliIo): StructOpsMap | undefined {
  if (names.length > 1) {
    io.err('struct-ops update: give at most one --map (a link points at one map)');
    return undefined;
  }
  const maps = selectMaps(obj, file, names, io, 'update');
  if (!maps) return undefined;
  const candidates = maps.filter((m) => m.isLink);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    const what = names.length ? `${names[0]} is not link-based` : `${file} has no link-based struct_ops map`;
    io.err(`struct-ops update: ${what}; a link can only switch to a SEC(".struct_ops.link") map`);
    io.err(`available maps: ${[...obj.structOps.values()].map(describeMap).join(', ')}`);
    return undefined;
  }
  io.err(`struct-ops update: ${file} has several link-based maps; pick one with --map NAME`);
  io.err(`available maps: ${candidates.map(describeMap).join(', ')}`);
  return undefined;
}

/** `struct-ops update --pin PATH FILE.o [--map NAME]`. */
export const updateCommand: Command = {
  name: 'update',
  summary: 'live-swap a pinned struct_ops link to a map of another object (root)',
  usage: `Usage: struct-ops update --pin PATH FILE.o [--map NAME] [--json]

Loads FILE.o and switches the struct_ops link pinned at PATH (e.g. by \`struct-ops
register --pin-dir\`) to its .struct_ops.link map NAME (or its only one) in one atomic
BPF_LINK_UPDATE: running connections keep going and the new callbacks take over. The
kernel struct must be the same and, for TCP congestion control, the algorithm name too.
The link keeps the new map after this command exits. Needs root.`,
  flags: [{ name: 'pin', value: true }, { name: 'map', value: true }, { name: 'json', value: false }],
  run: update,
};
