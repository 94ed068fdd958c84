// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { dumpMatching, type StructOpsDump, type StructOpsMemberDump } from '../../index';
import { Command, EXIT_OK } from '../command';
import { toJson } from '../format/json';
import { noMatch, parseTarget } from '../format/target';

const USAGE = `Usage: struct-ops dump [NAME | --id ID] [-j | -p]

Shows the value of struct_ops maps as the kernel holds it (BPF_MAP_LOOKUP_ELEM), decoded
through kernel BTF: every member of the kernel struct, with the program (name and id)
registered in each function-pointer member. Without NAME or --id, dumps every
struct_ops map. Needs root.

Options:
  --id ID   only the map with this id
  -j, --json  the structure of \`bpftool -j struct_ops dump\` (bpftool 7.8): an array with
            {"bpf_map_info": {...}} and {"bpf_struct_ops_<T>": {"common": ..., "data": ...}}
            per map; function pointers as "u32 (struct sock *) prog_name/prog_id:N"
Exit status: 0 on success, 1 when nothing matches or on errors, 2 for usage errors.`;

/** `struct-ops dump`: a struct_ops map's kernel value decoded through BTF (bpftool's JSON with --json). */
export const dumpCommand: Command = {
  name: 'dump',
  summary: "show a struct_ops map's kernel value: members, programs and ids (root)",
  usage: USAGE,
  flags: [{ name: 'id', value: true }],
  async run(args, io) {
    const target = parseTarget(args);
    const dumps: StructOpsDump[] = dumpMatching(target);
    if (dumps.length === 0 && (target.id !== undefined || target.name !== undefined)) return io.fail(noMatch(target));
    if (io.json) {
      io.emit(dumps.flatMap((d) => d.bpftool));
    } else {
      dumps.forEach((d, i) => {
        if (i > 0) io.out('');
        for (const line of plain(d)) io.out(line);
      });
    }
    return EXIT_OK;
  },
};

/** A header line, then one row per member: name and value. */
function plain(d: StructOpsDump): string[] {
  const { info } = d;
  const links = info.linkIds.length > 0 ? info.linkIds.join(',') : '-';
  const header = `${info.name} (map id ${info.id}): struct ${info.kernelType} (${info.module}), ` +
    `state ${info.state}, refcnt ${info.refcnt}, links ${links}`;
  const width = Math.max(6, ...d.members.map((m) => m.name.length));
  return [
    header,
    `  ${'MEMBER'.padEnd(width)}  VALUE`,
    ...d.members.map((m) => `  ${m.name.padEnd(width)}  ${valueText(m)}`),
  ];
}

function valueText(m: StructOpsMemberDump): string {
  if (m.kind === 'data') return toJson(m.value);
  if (m.program === null) return '-';
  return `${m.program.progName ?? '<unknown program>'} (prog id ${m.program.progId})`;
}
