// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { listStructOps, type StructOpsInfo } from '../../index';
import { Command, EXIT_OK } from '../command';
import { noMatch, parseTarget } from '../format/target';

const USAGE = `Usage: struct-ops show [NAME] [--id ID] [-j | -p]

Lists the struct_ops maps in the running kernel, like \`bpftool struct_ops show\`, plus each
one's state, the kernel's reference count and the BPF links that registered it. NAME
selects maps by map name, --id by map id. Needs root (walking BPF ids is privileged).

States: INIT (created, not registered), INUSE (legacy map registered), READY (link map
value set; registered while a link holds it), TOBEFREE (unregistered).

Output:  ID: NAME KERNEL_STRUCT STATE refcnt N [links ID,...]
Options:
  --id ID   only the map with this id
  -j, --json    bpftool's JSON (id, name, kernel_struct_ops) plus state, refcnt, link_ids
                and module; -p, --pretty indents it
Exit status: 0 on success, 1 when nothing matches or on errors, 2 for usage errors.`;

/** `struct-ops show`: struct_ops maps in the kernel, bpftool-compatible, with state, refcnt and links. */
export const showCommand: Command = {
  name: 'show',
  summary: 'list registered struct_ops maps with state, refcnt and links (root)',
  usage: USAGE,
  flags: [{ name: 'id', value: true }],
  async run(args, io) {
    const target = parseTarget(args);
    const found: StructOpsInfo[] = listStructOps(target);
    // bpftool's wording: a NAME or id that matches nothing is an error.
    if (found.length === 0 && (target.id !== undefined || target.name !== undefined)) return io.fail(noMatch(target));
    if (io.json) io.emit(found.map(toBpftoolShape));
    else for (const s of found) io.out(plainLine(s));
    return EXIT_OK;
  },
};

/** bpftool's `"%u: %-15s %-32s"` followed by our columns. */
function plainLine(s: StructOpsInfo): string {
  const links = s.linkIds.length > 0 ? `  links ${s.linkIds.join(',')}` : '';
  return `${s.id}: ${s.name.padEnd(15)} ${s.kernelType.padEnd(32)} ${s.state.padEnd(8)} refcnt ${s.refcnt}${links}`;
}

/** bpftool's keys first, in its order; ours after them. */
function toBpftoolShape(s: StructOpsInfo): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    kernel_struct_ops: s.kernelType,
    state: s.state,
    refcnt: s.refcnt,
    link_ids: s.linkIds,
    module: s.module,
  };
}
