import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cli } from '../helpers/child-cli';
import { structOpsShow } from '../helpers/bpftool';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

describe('struct-ops inspect: usage', () => {
  test('--help prints the usage and exits 0', () => {
    const r = cli(['inspect', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: struct-ops inspect FILE\.o \[-j \| -p\]/);
  });

  test.each([
    [['inspect'], /expected one FILE\.o, got 0/],
    [['inspect', 'a.o', 'b.o'], /expected one FILE\.o, got 2/],
    [['inspect', '--bogus', 'a.o'], /unknown option --bogus/],
  ])('%j is a usage error: exit 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: struct-ops inspect');
  });
});

describeKernel('struct-ops inspect as an unprivileged user (nobody, no capabilities)', () => {
  let dir: string;
  const copy = (source: string): string => {
    const target = join(dir, basename(source));
    copyFileSync(source, target);
    chmodSync(target, 0o644);
    return target;
  };
  const inspect = (args: string[]): ReturnType<typeof cli> => cli(['inspect', ...args], { unprivileged: true });

  beforeAll(() => {
    // nobody must be able to read the fixtures wherever the checkout lives.
    dir = mkdtempSync(join(tmpdir(), 'so-isp-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('cubic: compatible, member -> program table, exit 0, nothing on stderr, nothing registered', () => {
    const before = structOpsShow().map((s) => s.id);
    const file = copy(fixture('cubic'));
    const r = inspect([file]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${file}: license GPL, checked against kernel \\S+$`));
    expect(lines).toContainEqual(expect.stringMatching(
      /^struct_ops cubic_link \(\.struct_ops\.link, link\): struct tcp_congestion_ops -> struct tcp_congestion_ops \(vmlinux, value 256 bytes\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}init +136 +8 +function +cu_init +yes$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}cu_init +struct_ops\/init +cubic_legacy\.init, cubic_link\.init$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}tcp_slow_start +kfunc +vmlinux$/));
    expect(r.stdout).toMatch(/\ncompatible with this kernel: 0 error\(s\), 0 warning\(s\)\n$/);
    expect(structOpsShow().map((s) => s.id).filter((id) => !before.includes(id))).toEqual([]);
  });

  test('bad_missing_member: exit 1; stderr names so_bogus with a hint; the table marks it MISSING', () => {
    const r = inspect([copy(fixture('bad_missing_member'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: struct_ops bad_missing: member so_bogus: the running kernel's struct tcp_congestion_ops has no member so_bogus, but it is set\n" +
      'hint: this kernel is older than the one the object was written for; leave the member unset or use a newer kernel\n');
    expect(r.stdout).toMatch(/\n {2}so_bogus +40 +4 +data +- +MISSING\n/);
    expect(r.stdout).toMatch(/\nNOT compatible with this kernel: 1 error\(s\), 0 warning\(s\)\n$/);
  });

  test('bad_size_mismatch: exit 1; stderr names flags and both sizes', () => {
    const r = inspect([copy(fixture('bad_size_mismatch'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: struct_ops bad_size: member flags: size mismatch: object has 8 bytes, kernel has 4\n');
    const json = inspect([join(dir, 'bad_size_mismatch.bpf.o'), '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; issues: { severity: string; member?: string; map?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([expect.objectContaining({ severity: 'error', map: 'bad_size', member: 'flags' })]);
  });

  test('warnings alone keep exit 0: warn_unused and ok_missing_member_zero', () => {
    const unused = inspect([copy(fixture('warn_unused'))]);
    expect(unused.code).toBe(0);
    expect(unused.stderr).toMatch(/^warning: program wu_unused_cb: struct_ops program not used by any struct_ops map, not loaded\nhint: /);
    const zero = inspect([copy(fixture('ok_missing_member_zero'))]);
    expect(zero.code).toBe(0);
    expect(zero.stderr).toMatch(/^warning: struct_ops ok_missing: member so_bogus not found in kernel struct tcp_congestion_ops, skipped \(it is zero\)\n$/);
  });

  test('error paths: missing file, not an ELF, no struct_ops, unknown struct type', () => {
    const missing = inspect([join(dir, 'nope.bpf.o')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^struct-ops inspect: cannot read .*nope\.bpf\.o: ENOENT\nhint: /);

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not an object file\n');
    chmodSync(text, 0o644);
    const notElf = inspect([text]);
    expect(notElf).toMatchObject({ code: 1, stdout: '' });
    expect(notElf.stderr).toMatch(/^struct-ops inspect: .*not an ELF/);

    const core = copy(join(__dirname, '..', 'fixtures', 'core', 'core_vmlinux.bpf.o'));
    const none = inspect([core]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`^error: no struct_ops found in ${core}\\nhint: `));

    const unknown = inspect([copy(fixture('bad_unknown_struct'))]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: struct_ops bad_unknown: struct so_nonexistent_ops is not found in kernel BTF\n/);
    expect(unknown.stdout).toContain('-> struct so_nonexistent_ops (NOT in this kernel)');
  });
});
