// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError, listStructOpsTypes, type StructOpsTypeInfo } from '../../index';
import { UsageError } from '../args';
import { Command, EXIT_OK } from '../command';
import { snakeKeys } from '../format/json';

const USAGE = `Usage: struct-ops types [NAME] [-j | -p]

Lists the struct_ops types the running kernel and its loaded modules support (every
\`struct bpf_struct_ops_T\` in /sys/kernel/btf). With NAME (e.g. tcp_congestion_ops), prints
that struct's members with offsets, sizes and C declarations; callbacks are the members a
BPF program can implement. Reads only /sys/kernel/btf: no privileges needed.

Options:
  -j, --json  the same as JSON: an array of types (name, module, type_id, value_type_id,
              value_size, size, members: name, offset, size, kind, declaration)
Exit status: 0 on success, 1 when the kernel lacks NAME or on errors, 2 for usage errors.`;

/** `struct-ops types`: struct_ops types the running kernel supports, with C declarations. */
export const typesCommand: Command = {
  name: 'types',
  summary: 'list the struct_ops types this kernel supports, or one type with C signatures',
  usage: USAGE,
  flags: [],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`expected at most one NAME, got ${args.positionals.join(' ')}`);
    const name = args.positionals[0];
    const types: StructOpsTypeInfo[] = listStructOpsTypes(name);
    if (name !== undefined && types.length === 0) {
      return io.fail(new BpfError(`struct_ops type ${name} is not supported by the running kernel`, {
        code: 'ENOENT', hint: '`struct-ops types` lists the supported ones (a module may have to be loaded first)',
      }));
    }
    if (io.json) io.emit(snakeKeys(types));
    else if (name === undefined) for (const line of table(types)) io.out(line);
    else for (const t of types) for (const line of detail(t)) io.out(line);
    return EXIT_OK;
  },
};

function table(types: StructOpsTypeInfo[]): string[] {
  const rows = types.map((t) => [
    t.name, t.module, String(t.valueSize), String(t.members.length),
    String(t.members.filter((m) => m.kind === 'function').length),
  ]);
  const head = ['TYPE', 'MODULE', 'VALUE_SIZE', 'MEMBERS', 'CALLBACKS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** pahole-like: the struct in C with each member's offset and size in a comment. */
function detail(t: StructOpsTypeInfo): string[] {
  const decls = t.members.map((m) => `    ${m.declaration};`);
  const width = Math.max(40, ...decls.map((d) => d.length + 7));
  return [
    `struct ${t.name} {  /* ${t.module}, type id ${t.typeId}, ${t.size} bytes; ` +
      `map value struct bpf_struct_ops_${t.name} (id ${t.valueTypeId}), ${t.valueSize} bytes */`,
    ...t.members.map((m, i) => {
      const note = m.kind === 'function' ? ' callback' : '';
      return `${decls[i].padEnd(width - 7)} /* ${String(m.offset).padStart(4)} ${String(m.size).padStart(4)}${note} */`;
    }),
    '};',
  ];
}
