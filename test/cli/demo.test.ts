import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { structOpsShow } from '../helpers/bpftool';
import { eventually } from '../helpers/child';
import { runAsNobody, unprivilegedCli } from '../helpers/child-unprivileged';
import { describeKernel } from '../helpers/kernel';

const MAIN = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const available = (): string => readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8');

describeKernel('struct-ops demo (npm start)', () => {
  test.each([
    ['over a lossy private loopback', ['--seconds', '2']],
    ['over the plain loopback', ['--seconds', '1', '--no-loss']],
  ])('%s: registers, moves data, shows callbacks and cwnd, unregisters', (_what, args) => {
    const r = spawnSync(process.execPath, [MAIN, 'demo', ...args], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Registered tcp_congestion_ops so_demo: map id \d+, link id \d+$/m);
    expect(r.stdout).toMatch(/the socket reported algorithm "so_demo"/);
    const cong = /^\s+cong_avoid\s+(\d+)$/m.exec(r.stdout);
    expect(Number(cong?.[1])).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^cwnd \(segments\)$/m);
    expect(r.stdout).toContain('█');
    if (!args.includes('--no-loss')) {
      expect(Number(/^\s+ssthresh\s+(\d+)$/m.exec(r.stdout)?.[1])).toBeGreaterThan(0);
    }
    expect(r.stdout).toContain('the kernel is clean');
    expect(available()).not.toContain('so_demo');
  });

  test('without root it refuses with a clear message and exit 1', () => {
    const r = runAsNobody([unprivilegedCli(), 'demo'], { timeout: 30000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/must run as root/);
    expect(r.stderr).toMatch(/^hint: sudo npm start/m);
  });

  test('--help documents it; bad --seconds is a usage error (exit 2)', () => {
    const help = spawnSync(process.execPath, [MAIN, 'demo', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: struct-ops demo/);
    const bad = spawnSync(process.execPath, [MAIN, 'demo', '--seconds', 'lots'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--seconds must be a number/);
    for (const name of ['', 'has space', 'x'.repeat(16)]) {
      const r = spawnSync(process.execPath, [MAIN, 'demo', '--name', name], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^struct-ops demo: --name must be 1-15 letters/);
    }
  });

  test('--name registers under that name, so it does not collide with another so_demo; --json', () => {
    const r = spawnSync(process.execPath, [MAIN, 'demo', '--seconds', '1', '--no-loss', '--name', 'so9_demo_t', '-j'], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ algorithm: 'so9_demo_t', socket_algorithm: 'so9_demo_t', lossy: false, unregistered: true });
    expect((result.callbacks as Record<string, number>).cong_avoid).toBeGreaterThan(0);
    expect(available()).not.toContain('so9_demo_t');
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s mid-transfer leaves no namespace, registration or pin', async (signal) => {
    const child = spawn(process.execPath, [MAIN, 'demo', '--seconds', '120', '--name', `so9_sig_${signal.slice(3, 6).toLowerCase()}`],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const name = `so9_sig_${signal.slice(3, 6).toLowerCase()}`;
    const prefix = `struct-ops-${child.pid}-`;
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, sig) => r({ code, signal: sig })));
    try {
      // Mid-transfer: registered, the namespace made, the sender moving data.
      expect(await eventually(() => /Pushing TCP traffic/.test(out) && namespaces().some((n) => n.startsWith(prefix)), 30000)).toBe(true);
      expect(available()).toContain(name);
    } finally {
      child.kill(signal);
    }
    // The default outcome proceeds: the process dies of the signal (after cleaning up).
    expect(await exited).toEqual({ code: null, signal });
    expect(err).toBe('');
    expect(namespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
    expect(await eventually(() => !available().split(/\s+/).includes(name), 10000)).toBe(true);
    expect(await eventually(() => !structOpsShow().some((s) => s.name === 'so_demo'), 10000)).toBe(true);
    expect(execFileSync('find', ['/sys/fs/bpf', '-name', '*so_demo*'], { encoding: 'utf8' })).toBe('');
  });
});
