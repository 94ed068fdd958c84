/**
 * `struct-ops types` and `struct-ops inspect` on a kernel with the struct_ops families
 * (the 7.3 VM): every struct_ops type of vmlinux BTF is listed, as bpftool's raw dump of
 * the same BTF independently finds them, with member signatures and the defining BTF; each
 * family fixture inspects clean against it. (Module types: test/kernel/families/kmod.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import type { StructOpsTypeInfo } from '../../../lib';
import { cli } from '../../helpers/child-cli';
import { describeFamily, familyFixture, type InspectJson } from '../../helpers/families';

/** struct_ops types in vmlinux BTF per bpftool: STRUCT bpf_struct_ops_T whose `data` member is STRUCT T. */
function bpftoolStructOpsTypes(): string[] {
  const lines = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 1 << 30 }).split('\n');
  const structs = new Map<string, string>(); // id -> name
  for (const l of lines) {
    const m = /^\[(\d+)\] STRUCT '([^']+)'/.exec(l);
    if (m) structs.set(m[1], m[2]);
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\[\d+\] STRUCT 'bpf_struct_ops_(\w+)' size=\d+ vlen=(\d+)/.exec(lines[i]);
    if (!m) continue;
    const members = lines.slice(i + 1, i + 1 + Number(m[2]));
    const data = members.map((l) => /'data' type_id=(\d+)/.exec(l)).find(Boolean);
    if (data && structs.get(data[1]) === m[1]) out.push(m[1]);
  }
  return out.sort();
}

describeFamily('sched_ext_ops', 'struct-ops types / inspect on a kernel with every family', () => {
  test('types --json lists every struct_ops type of vmlinux, as bpftool finds them, with signatures', () => {
    const r = cli(['types', '--json']);
    expect(r.code).toBe(0);
    const types = JSON.parse(r.stdout) as StructOpsTypeInfo[];
    const vmlinux = types.filter((t) => t.module === 'vmlinux').map((t) => t.name).sort();
    expect(vmlinux).toEqual(bpftoolStructOpsTypes());
    for (const family of ['sched_ext_ops', 'Qdisc_ops', 'hid_bpf_ops', 'bpf_dummy_ops', 'tcp_congestion_ops']) expect(vmlinux).toContain(family);
    const byName = Object.fromEntries(types.map((t) => [t.name, t]));
    const decl = (type: string, member: string): string | undefined => byName[type].members.find((m) => m.name === member)?.declaration;
    // Parameter names come from the kernel's cfi stubs.
    expect(decl('sched_ext_ops', 'enqueue')).toBe('void (*enqueue)(struct task_struct *p, u64 enq_flags)');
    expect(decl('sched_ext_ops', 'name')).toBe('char name[128]');
    expect(decl('Qdisc_ops', 'dequeue')).toBe('struct sk_buff *(*dequeue)(struct Qdisc *sch)');
    expect(decl('hid_bpf_ops', 'hid_rdesc_fixup')).toBe('int (*hid_rdesc_fixup)(struct hid_bpf_ctx *ctx)');
    expect(decl('hid_bpf_ops', 'hid_id')).toBe('int hid_id');

    const table = cli(['types']);
    expect(table.code).toBe(0);
    for (const name of vmlinux) expect(table.stdout).toMatch(new RegExp(`^${name}\\s+vmlinux\\s`, 'm'));
  });

  test.each([
    ['scx_vtime', 'so10b_vtime', 'sched_ext_ops'],
    ['scx_stall', 'so10b_stall', 'sched_ext_ops'],
    ['qdisc_fifo', 'so10b_fifo', 'Qdisc_ops'],
    ['hid_mouse', 'so10b_hid', 'hid_bpf_ops'],
  ])('inspect %s: %s implements %s of vmlinux, no errors', (file, map, type) => {
    const r = cli(['inspect', familyFixture(file), '--json']);
    const report = JSON.parse(r.stdout) as InspectJson;
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.code).toBe(0);
    // The CLI's JSON uses bpftool's snake_case keys.
    const ops = report.struct_ops.find((s) => s.name === map)!;
    expect(ops).toMatchObject({ kernel_type: type, link: true, kernel: { module: 'vmlinux' } });
  });
});
