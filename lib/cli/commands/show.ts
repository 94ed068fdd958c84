import { findStructOps, type StructOpsInfo } from '../../struct-ops/introspect';
import { hasFlag } from '../args';
import { Command, EXIT_FAIL, EXIT_OK } from '../command';
import { reportError } from '../errors';
import { toJson } from '../format/json';
import { parseTarget, targetText } from '../format/target';

const USAGE = `Usage: struct-ops show [NAME] [--id ID] [--json]

Lists the struct_ops maps in the running kernel, like \`bpftool struct_ops show\`, plus each
one's state, the kernel's reference count and the BPF links that registered it. NAME
selects maps by map name, --id by map id. Needs root (walking BPF ids is privileged).

States: INIT (created, not registered), INUSE (legacy map registered), READY (link map
value set; registered while a link holds it), TOBEFREE (unregistered).

Output:  ID: NAME KERNEL_STRUCT STATE refcnt N [links ID,...]
Options:
  --id ID   only the map with this id
  --json    bpftool's JSON (id, name, kernel_struct_ops) plus state, refcnt and link_ids
Exit status: 0 on success, 1 when nothing matches or on errors, 2 for usage errors.`;

/** `struct-ops show`: struct_ops maps in the kernel, bpftool-compatible, with state, refcnt and links. */
export const showCommand: Command = {
  name: 'show',
  summary: 'list registered struct_ops maps with state, refcnt and links (root)',
  usage: USAGE,
  flags: [{ name: 'id', value: true }, { name: 'json', value: false }],
  async run(args, io) {
    const target = parseTarget(args, io, 'show', USAGE);
    if (typeof target === 'number') return target;
    const json = hasFlag(args, 'json');
    let found: StructOpsInfo[];
    try {
      found = findStructOps(target).map((f) => f.info);
    } catch (err) {
      return reportError(io, 'show', err);
    }
    if (json) io.out(toJson(found.map(toBpftoolShape)));
    else for (const s of found) io.out(plainLine(s));
    if (found.length === 0 && (target.id !== undefined || target.name !== undefined)) {
      // bpftool's wording and behaviour: an empty list in JSON mode, an error either way.
      io.err(`Error: no struct_ops found for ${targetText(target)}`);
      io.err('hint: `struct-ops show` lists every struct_ops map (names are map names, at most 15 characters)');
      return EXIT_FAIL;
    }
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
