// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { inspectObject, type InspectedStructOps, type InspectReport } from '../../index';
import { UsageError } from '../args';
import { Command, EXIT_FAIL, EXIT_OK } from '../command';
import { snakeKeys } from '../format/json';

const USAGE = `Usage: struct-ops inspect FILE.o [-j | -p]

Reads a clang-compiled BPF object and checks it against the running kernel without
loading anything: its struct_ops variables, which program implements which member, and
whether this kernel can take them (struct type present, members the kernel lacks, kind
and size mismatches, missing kfuncs, struct_ops programs no map uses). Needs no
privileges: only the file and /sys/kernel/btf are read.

Problems are printed to stderr as "error: ..." (a load would fail) or "warning: ...".
Options:
  -j, --json  the whole report as JSON (object, kernel_release, license, struct_ops,
              programs, ksyms, issues, ok); with issues, still the report, not an error
Exit status: 0 when the object is compatible, 1 when the report has errors or the file
cannot be read or parsed, 2 for usage errors.`;

/** `struct-ops inspect`: an object checked against the running kernel, unprivileged, without loading it. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'check an object file against the running kernel without loading it (no root)',
  usage: USAGE,
  flags: [],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError(`expected one FILE.o, got ${args.positionals.length}`);
    const [file] = args.positionals;
    const report: InspectReport = inspectObject(file);
    if (io.json) io.emit(snakeKeys(report));
    else for (const line of plain(report)) io.out(line);
    // With --json the issues are in the report; stderr stays for humans reading text.
    if (!io.json) {
      for (const issue of report.issues) {
        io.err(`${issue.severity}: ${issue.message}`);
        if (issue.hint) io.err(`hint: ${issue.hint}`);
      }
    }
    return report.ok ? EXIT_OK : EXIT_FAIL;
  },
};

function plain(r: InspectReport): string[] {
  const lines = [`${r.object}: license ${r.license || '(none)'}, checked against kernel ${r.kernelRelease}`];
  for (const s of r.structOps) lines.push('', ...structOpsLines(s));
  const progs = r.programs.map((p) => [
    p.name, p.section, p.usedBy.length > 0 ? p.usedBy.map((u) => `${u.map}.${u.member}`).join(', ') : p.structOps ? '(unused)' : '-',
  ]);
  if (progs.length > 0) lines.push('', ...columns(['PROGRAM', 'SECTION', 'USED BY'], progs));
  const ksyms = r.ksyms.map((k) => [k.name, k.kind + (k.weak ? ' (weak)' : ''), k.foundIn ?? 'MISSING']);
  if (ksyms.length > 0) lines.push('', ...columns(['KSYM', 'KIND', 'KERNEL'], ksyms));
  const errors = r.issues.filter((i) => i.severity === 'error').length;
  const warnings = r.issues.length - errors;
  lines.push('', `${r.ok ? 'compatible' : 'NOT compatible'} with this kernel: ${errors} error(s), ${warnings} warning(s)`);
  return lines;
}

function structOpsLines(s: InspectedStructOps): string[] {
  const where = s.kernel ? `${s.kernel.module}, value ${s.kernel.valueSize} bytes` : 'NOT in this kernel';
  const flags = [s.link ? 'link' : 'legacy', ...(s.autocreate ? [] : ['not auto-created'])].join(', ');
  const head = `struct_ops ${s.name} (${s.section}, ${flags}): ${s.localType} -> struct ${s.kernelType} (${where})`;
  const rows = s.members.map((m) => [
    m.name, String(m.offset), String(m.size), m.kind, m.program ?? '-',
    m.inKernel === undefined ? '?' : m.inKernel ? 'yes' : 'MISSING',
  ]);
  return [head, ...columns(['MEMBER', 'OFFSET', 'SIZE', 'KIND', 'PROGRAM', 'IN KERNEL'], rows)];
}

/** Left-aligned columns, two spaces apart, indented by two. */
function columns(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd());
}
