import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeKernel } from '../helpers/kernel';

const MAIN = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
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
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      process.execPath, MAIN, 'demo'], { encoding: 'utf8', timeout: 30000 });
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
  });
});
