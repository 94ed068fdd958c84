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

  describe('the cwnd chart comes from ring buffer records streamed during the transfer', () => {
    /** Nothing of the run is left: no registration, no namespace, no algorithm. */
    const expectClean = (name: string, mapId?: number): void => {
      const shown = structOpsShow();
      expect(shown.filter((s) => s.name.startsWith('so_dm15') || s.id === mapId)).toEqual([]);
      expect(namespaces().filter((n) => n.startsWith('struct-ops-'))).toEqual([]);
      expect(available().split(/\s+/)).not.toContain(name);
    };
    /** `Streamed N cwnd samples ... (the program took T; F found the ring full)` as numbers. */
    const streamed = (stdout: string): { read: number; taken: number; failures: number } => {
      const m = /^Streamed (\d+) cwnd samples through ring buffer cwnd_ring during the transfer \(the program took (\d+); (\d+) found the ring full\)$/m.exec(stdout);
      expect(m).not.toBeNull();
      return { read: Number(m![1]), taken: Number(m![2]), failures: Number(m![3]) };
    };

    test('--json: every record the program wrote is a sample (taken - reserve failures)', () => {
      const r = spawnSync(process.execPath, [MAIN, 'demo', '--seconds', '1', '--no-loss', '--name', 'so_dm15', '-j'], { encoding: 'utf8', timeout: 60000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const result = JSON.parse(r.stdout) as {
        map_id: number; cwnd_ring: { map: string; samples_taken: number; reserve_failures: number };
        cwnd_samples: { ms: number; cwnd: number; ssthresh: number }[];
      };
      expect(result.cwnd_ring.map).toBe('cwnd_ring');
      expect(result.cwnd_ring.samples_taken).toBeGreaterThan(0);
      expect(result.cwnd_samples).toHaveLength(result.cwnd_ring.samples_taken - result.cwnd_ring.reserve_failures);
      expect(result.cwnd_samples[0].ms).toBe(0);
      for (const s of result.cwnd_samples) expect(s.cwnd).toBeGreaterThan(0);
      // In the order the program wrote them.
      expect(result.cwnd_samples.every((s, i, a) => i === 0 || s.ms >= a[i - 1].ms)).toBe(true);
      expectClean('so_dm15', result.map_id);
    });

    test('not a terminal: the final chart once, no escape sequences, its count the program\'s', () => {
      const r = spawnSync(process.execPath, [MAIN, 'demo', '--seconds', '1', '--name', 'so_dm15b'], { encoding: 'utf8', timeout: 60000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('\x1b');
      expect(r.stdout.match(/^cwnd \(segments\)$/gm)).toHaveLength(1);
      const n = streamed(r.stdout);
      expect(n.read).toBeGreaterThan(0);
      expect(n.read).toBe(n.taken - n.failures);
      expectClean('so_dm15b', Number(/map id (\d+)/.exec(r.stdout)?.[1]));
    });

    test('a terminal: the chart is redrawn in place (cursor up between frames) and ends as the final chart', () => {
      // script(1) gives the demo a pty for stdout; NO_COLOR=1 must leave out every colour code.
      const cmd = `NO_COLOR=1 ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} demo --seconds 1 --no-loss --name so_dm15c`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60000 });
      expect(r.status).toBe(0);
      const text = r.stdout.replace(/\r\n/g, '\n');
      expect(text).not.toMatch(/\x1b\[[0-9;]*m/);
      // Frames: the first one, then each redraw moving the cursor back over the previous one.
      const start = text.indexOf('\x1b[?25l');
      const end = text.indexOf('\x1b[?25h');
      expect(start).toBeGreaterThan(text.indexOf('Pushing loopback TCP traffic'));
      expect(end).toBeGreaterThan(start);
      const frames = text.slice(start, end).split(/\r\x1b\[\d+A/);
      expect(frames.length).toBeGreaterThanOrEqual(2); // the first frame at the start, the final one at the end
      const visible = (f: string): string[] => f.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n').filter((l) => l !== '');
      const live = frames.slice(0, -1).map((f) => visible(f)[0]);
      for (const head of live) expect(head).toMatch(/^cwnd \(segments\) · live · \d+\.\d s · \d+ samples$/);
      const counts = live.map((h) => Number(/(\d+) samples$/.exec(h)![1]));
      expect(counts.every((c, i) => i === 0 || c > counts[i - 1])).toBe(true); // only news is redrawn
      const n = streamed(text);
      expect(n.read).toBe(n.taken - n.failures);
      expect(counts.at(-1)!).toBeLessThanOrEqual(n.read);
      // The final frame is the whole chart, labelled as without a terminal, and stays on screen.
      const last = visible(frames.at(-1)!);
      expect(last[0]).toBe('cwnd (segments)');
      expect(last.filter((l) => l.includes('█')).length).toBeGreaterThan(0);
      expect(last.at(-1)).toMatch(/^\s+0 ms\s+\d+$/);
      expect(text.slice(end)).toMatch(/Streamed \d+ cwnd samples/);
      expectClean('so_dm15c', Number(/map id (\d+)/.exec(text)?.[1]));
    });
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
