/**
 * The CLI as a Unix tool, through the spawned binary: a reader that goes away (`| head -1`),
 * --json/-j/-p everywhere with bpftool's {"error": ...}, mistyped commands and flags.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { CLI, cli, pinScratch } from '../helpers/child-cli';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('swap_'));

/** Runs the CLI with its stdout's reader already gone (what `| head -1` does once it has its line). */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** `struct-ops ARGS | head -1` in bash: the CLI's own status and stderr, and what head printed. */
function pipedToHead(args: string[]): { status: number; stderr: string; first: string } {
  const err = join(mkdtempSync(join(tmpdir(), 'so9-head-')), 'stderr');
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${quoted} 2>${err} | head -1; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 60000 });
  const lines = r.stdout.trimEnd().split('\n');
  const stderr = readFileSync(err, 'utf8');
  rmSync(join(err, '..'), { recursive: true, force: true });
  return { status: Number(/^status=(\d+)$/.exec(lines.at(-1)!)![1]), stderr, first: lines.length > 1 ? lines[0] : '' };
}

describeKernel('struct-ops in a pipe whose reader goes away (| head -1): no EPIPE trace, exit 0', () => {
  const { pinDir } = pinScratch('swap_', ours);

  test.each([
    [['--help']], [['types']], [['types', 'tcp_congestion_ops']], [['types', '-p']], [['show', '-p']], [['dump', '-p']],
    [['inspect', fixture('cubic')]], [['inspect', fixture('cubic'), '-p']], [['gen', 'types', fixture('cubic')]], [['register', '--help']],
  ])('%j', async (args) => {
    const r = await withClosedStdout(args);
    expect(r).toEqual({ code: 0, signal: null, stderr: '' });
    const head = pipedToHead(args);
    expect(head).toMatchObject({ status: 0, stderr: '' });
    expect(head.first).not.toBe('');
  });

  test('register, update and unregister still finish their kernel work and exit 0', async () => {
    const dir = pinDir();
    const reg = await withClosedStdout(['register', fixture('swap_a'), '--pin-dir', dir]);
    // On a machine booted without bpffs at /sys/fs/bpf, the first --pin-dir mounts one (like
    // bpftool) and says so: that note is the only stderr allowed.
    expect(reg).toEqual({ code: 0, signal: null, stderr: expect.stringMatching(/^(note: mounted a BPF filesystem at \/sys\/fs\/bpf\n)?$/) });
    expect(ours().map((s) => s.name).sort()).toEqual(['swap_a', 'swap_legacy']);
    const upd = await withClosedStdout(['update', '--pin', join(dir, 'swap_a'), fixture('swap_a'), '--map', 'swap_a']);
    expect(upd).toEqual({ code: 0, signal: null, stderr: '' });
    const unreg = await withClosedStdout(['unregister', 'swap_a']);
    expect(unreg).toEqual({ code: 0, signal: null, stderr: '' });
    expect(pipedToHead(['unregister', 'swap_legacy'])).toMatchObject({ status: 0, stderr: '', first: expect.stringMatching(/^Unregistered /) });
    expect(existsSync(join(dir, 'swap_a'))).toBe(false);
    expect(existsSync(join(dir, 'swap_legacy'))).toBe(false);
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  test('the demo run to its end, then unregistered', async () => {
    const r = await withClosedStdout(['demo', '--seconds', '1', '--no-loss', '--name', 'so9_pipe']);
    expect(r).toEqual({ code: 0, signal: null, stderr: '' });
    expect(availableCongestionControls()).not.toContain('so9_pipe');
  });
});

describeKernel('--json, -j and -p on every command; errors as bpftool\'s {"error": ...}', () => {
  const { pinDir, tmpDir } = pinScratch('swap_', ours);

  test.each([
    [['show', 'so9_none', '-j'], 1, /^no struct_ops found for so9_none$/],
    [['dump', '--id', '4294967295', '--json'], 1, /^no struct_ops found for id 4294967295$/],
    [['types', 'so9_nosuch_ops', '-j'], 1, /not supported by the running kernel/],
    [['inspect', '/nonexistent/x.bpf.o', '-j'], 1, /cannot read \/nonexistent\/x\.bpf\.o: ENOENT/],
    [['register', '/nonexistent/x.bpf.o', '-j'], 1, /ENOENT/],
    [['unregister', 'so9_none', '-j'], 1, /^no struct_ops found for so9_none$/],
    [['update', '--pin', '/sys/fs/bpf/so9-none', fixture('swap_a'), '-j'], 1, /nothing is pinned at \/sys\/fs\/bpf\/so9-none/],
    [['gen', 'types', '/nonexistent/x.bpf.o', '-j'], 1, /ENOENT/],
    [['demo', '--seconds', 'lots', '-j'], 2, /^--seconds must be a number/],
    [['show', '--id', '0x47d9', '-j'], 2, /^--id must be a decimal integer/],
    [['show', '--jsn', '-j'], 2, /^unknown option --jsn \(did you mean --json\?\)$/],
    [['-j', 'shwo'], 2, /^unknown command 'shwo' \(did you mean 'show'\?\)$/],
  ])('%j: exit %d, stdout is one {"error"} object', (args, code, message) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(code);
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['error']);
    expect(parsed.error).toMatch(message as RegExp);
    // The message is not repeated on stderr (at most a hint for a human).
    expect(r.stderr).toMatch(/^(hint: .*\n)*$/);
  });

  test('-p is indented JSON; -j and --json and `struct-ops -j CMD` are the same document', () => {
    const dir = pinDir();
    expect(cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir, '-j']).code).toBe(0);
    const j = cli(['show', 'swap_a', '-j']);
    expect(j.code).toBe(0);
    expect(cli(['show', 'swap_a', '--json']).stdout).toBe(j.stdout);
    expect(cli(['-j', 'show', 'swap_a']).stdout).toBe(j.stdout);
    const p = cli(['show', 'swap_a', '-p']);
    expect(p.stdout).toMatch(/^\[\n {2}\{\n {4}"id": \d+,\n/);
    expect(JSON.parse(p.stdout)).toEqual(JSON.parse(j.stdout));
    const unreg = cli(['unregister', 'swap_a', '--pretty']);
    expect(unreg.code).toBe(0);
    expect(JSON.parse(unreg.stdout)).toEqual([expect.objectContaining({ map: 'swap_a', unpinned: [join(dir, 'swap_a')] })]);
    // No camelCase key anywhere in our JSON.
    for (const out of [j.stdout, unreg.stdout, cli(['types', '-j']).stdout, cli(['inspect', fixture('cubic'), '-j']).stdout]) {
      expect(out).not.toMatch(/"[a-z0-9]+[A-Z][A-Za-z0-9]*":/);
    }
    const gen = JSON.parse(cli(['gen', 'types', fixture('cubic'), '-j']).stdout) as { declarations: string };
    expect(gen.declarations).toMatch(/export interface CubicObject/);
    expect(tmpDir()).toBeTruthy();
  });

  test('--json=false is refused (exit 2), never taken as true', () => {
    const r = cli(['show', '--json=false']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^struct-ops show: --json takes no value \(got --json=false\)\n/);
  });

  test('mistyped command and flag: "did you mean", exit 2, one error prefix', () => {
    const cmd = cli(['shwo']);
    expect(cmd).toMatchObject({ code: 2, stdout: '' });
    expect(cmd.stderr).toMatch(/^struct-ops: unknown command 'shwo' \(did you mean 'show'\?\)\n/);
    const flag = cli(['register', fixture('swap_a'), '--pindir', '/sys/fs/bpf/x']);
    expect(flag).toMatchObject({ code: 2, stdout: '' });
    expect(flag.stderr).toMatch(/^struct-ops register: unknown option --pindir \(did you mean --pin-dir\?\)\n\nUsage: struct-ops register/);
    expect(ours()).toEqual([]);
  });

  test('as nobody, a --pin error says permission, not "not on a BPF filesystem"', () => {
    const dir = pinDir();
    expect(cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]).code).toBe(0);
    // The pin directory is mode 0700 (root's): nobody can neither stat nor open the pin.
    const r = cli(['unregister', '--pin', join(dir, 'swap_a')], { unprivileged: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EACCES|EPERM/);
    expect(r.stderr).not.toMatch(/not on a BPF filesystem|nothing is pinned/);
    expect(existsSync(join(dir, 'swap_a'))).toBe(true);
    const update = cli(['update', '--pin', join(dir, 'swap_a'), fixture('swap_a')], { unprivileged: true });
    expect(update.code).toBe(1);
    expect(update.stderr).toMatch(/EACCES|EPERM/);
    expect(update.stderr).not.toMatch(/not on a BPF filesystem|nothing is pinned/);
  });
});

describe('gen types -o writes through no symlink', () => {
  test('a symlink at the output path is replaced, its target untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'so9-gen-'));
    try {
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'keep\n');
      const out = join(dir, 'cubic.d.ts');
      symlinkSync(victim, out);
      const r = spawnSync(process.execPath, [CLI, 'gen', 'types', fixture('cubic'), '-o', out], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(readFileSync(victim, 'utf8')).toBe('keep\n');
      expect(lstatSync(out).isSymbolicLink()).toBe(false);
      expect(readFileSync(out, 'utf8')).toMatch(/export interface CubicObject/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
