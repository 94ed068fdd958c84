// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { resolve } from 'node:path';
import { BpfError, BpfLink, BpfObject, openObject, openPinnedLink, StructOpsMap } from '../../index';
import { flag, ParsedArgs, UsageError } from '../args';
import { Command, CommandIo, EXIT_OK } from '../command';
import { describeMap, selectMaps } from '../select-maps';

async function update(args: ParsedArgs, io: CommandIo): Promise<number> {
  const pinArg = flag(args, 'pin');
  if (pinArg === undefined || args.positionals.length !== 1) throw new UsageError('expected --pin PATH and one object file');
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
    const map = pickLinkMap(obj, file, flag(args, 'map'));
    await obj.load();
    for (const w of obj.warnings) io.warn(w);
    // Everything the report needs is read before the swap: once the link points at the new
    // map the change is done, and a failing read after it would exit 1 with it in place.
    const newMapId = map.id;
    // BPF_F_REPLACE against the map read above: a concurrent update makes this fail, not clobber.
    link.update(map, { expected: oldMapId });
    io.emit({ pin, link_id: before.id, kernel_struct_ops: map.kernelTypeName, old_map_id: oldMapId, new_map_id: newMapId, map: map.name });
    if (!io.json) io.out(`Updated link id ${before.id} (${pin}): ${map.kernelTypeName} map id ${oldMapId} -> ${map.name} map id ${newMapId}`);
    return EXIT_OK;
  } finally {
    // The link holds the new map now; neither this fd nor the object is needed any more.
    link?.close();
    obj?.close();
  }
}

/** The one `.struct_ops.link` map to switch to: --map NAME, or the object's only link map. */
function pickLinkMap(obj: BpfObject, file: string, name: string | undefined): StructOpsMap {
  // --map is a single-value flag: parseArgs refuses a second one (a link points at one map).
  const names = name === undefined ? [] : [name];
  const candidates = selectMaps(obj, file, names).filter((m) => m.isLink);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    const what = names.length ? `${names[0]} is not link-based` : `${file} has no link-based struct_ops map`;
    throw new BpfError(`${what}; a link can only switch to a SEC(".struct_ops.link") map`, {
      code: 'EINVAL', hint: `available maps: ${[...obj.structOps.values()].map(describeMap).join(', ')}`,
    });
  }
  throw new BpfError(`${file} has several link-based maps; pick one with --map NAME`, {
    code: 'EINVAL', hint: `available maps: ${candidates.map(describeMap).join(', ')}`,
  });
}

/** `struct-ops update --pin PATH FILE.o [--map NAME]`. */
export const updateCommand: Command = {
  name: 'update',
  summary: 'live-swap a pinned struct_ops link to a map of another object (root)',
  usage: `Usage: struct-ops update --pin PATH FILE.o [--map NAME] [-j | -p]

Loads FILE.o and switches the struct_ops link pinned at PATH (e.g. by \`struct-ops
register --pin-dir\`) to its .struct_ops.link map NAME (or its only one) in one atomic
BPF_LINK_UPDATE: there is no moment without the algorithm, and every connection that
selects it from then on gets the new callbacks. Connections already running keep the
callbacks they started with (TCP binds a socket's congestion control when it selects it)
until they select the algorithm again (setsockopt TCP_CONGESTION) or close. The kernel
struct must be the same and, for TCP congestion control, the algorithm name too. The link
keeps the new map after this command exits. Needs root.
  -j, --json   {pin, link_id, kernel_struct_ops, old_map_id, new_map_id, map}`,
  flags: [{ name: 'pin', value: true }, { name: 'map', value: true }],
  run: update,
};
