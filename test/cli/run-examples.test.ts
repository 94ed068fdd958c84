/**
 * The fleet examples under examples/ work as written: the systemd unit passes
 * `systemd-analyze verify`, the DaemonSet passes the Kubernetes schema (kubernetes-models),
 * and the command line each one starts is run here: it registers, and SIGTERM (what
 * systemd and the kubelet send to stop it) detaches everything.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { parse } from 'yaml';
import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { eventually } from '../helpers/child';
import { CLI } from '../helpers/child-cli';
import { DEMO_OBJECT } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { killStarted, startCli } from '../helpers/long-cli';

const ROOT = join(__dirname, '..', '..');
const UNIT = join(ROOT, 'examples', 'systemd', 'struct-ops-cc.service');
const MANIFEST = join(ROOT, 'examples', 'kubernetes', 'struct-ops-daemonset.yaml');
/** Where the examples expect the installed package (npm install -g on Debian's Node). */
const INSTALLED_BIN = '/usr/local/bin/struct-ops';
const INSTALLED_OBJECT = '/usr/local/lib/node_modules/struct-ops/lib/demo/demo_cc.bpf.o';

/** The unit's ExecStart= words, ${VAR} expanded from `env` the way systemd does. */
function execStart(unitText: string, env: Record<string, string>): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='))!;
  return line.slice('ExecStart='.length).trim().split(/\s+/).map((w) => w.replace(/\$\{(\w+)\}/g, (_, v: string) => env[v]));
}

/** The container's command, $(VAR) expanded from `env` the way the kubelet does. */
function containerCommand(container: { command: string[] }, env: Record<string, string>): string[] {
  return container.command.map((w) => w.replace(/\$\((\w+)\)/g, (_, v: string) => env[v]));
}

/** Runs `argv` (an example's command line) with the CLI of this checkout as the installed one. */
async function runUntilSigterm(argv: string[], algorithm: string): Promise<void> {
  expect(argv[0].endsWith('struct-ops')).toBe(true);
  expect(argv).toContain(INSTALLED_OBJECT);
  const args = argv.slice(1).map((a) => (a === INSTALLED_OBJECT ? DEMO_OBJECT : a));
  const run = startCli(args);
  await run.waitForLine((l) => /^registered so_demo /.test(l), 'registration line');
  expect(availableCongestionControls()).toContain(algorithm);
  run.proc.kill('SIGTERM');
  const { code, signal } = await run.exited;
  expect([code, signal]).toEqual([null, 'SIGTERM']);
  expect(run.stderr()).toBe('');
  expect(availableCongestionControls()).not.toContain(algorithm);
  expect(await eventually(() => !structOpsShow().some((s) => s.name === 'so_demo'))).toBe(true);
}

describe('examples: static checks', () => {
  const root = mkdtempSync(join(tmpdir(), 'struct-ops-i15-unit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** `systemd-analyze verify` of `unitText` in a root with systemd's units and the installed CLI. */
  function verify(unitText: string): { code: number | null; stderr: string } {
    mkdirSync(join(root, 'etc', 'systemd', 'system'), { recursive: true });
    const units = join(root, 'usr', 'lib', 'systemd', 'system');
    if (!existsSync(units)) {
      mkdirSync(dirname(units), { recursive: true });
      execFileSync('cp', ['-a', '/usr/lib/systemd/system', units]); // symlinks as they are
    }
    const bin = join(root, INSTALLED_BIN);
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
    chmodSync(bin, 0o755);
    const obj = join(root, INSTALLED_OBJECT);
    mkdirSync(dirname(obj), { recursive: true });
    rmSync(obj, { force: true });
    symlinkSync(DEMO_OBJECT, obj);
    writeFileSync(join(root, 'etc', 'systemd', 'system', 'struct-ops-cc.service'), unitText);
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'struct-ops-cc.service'], { encoding: 'utf8' });
    return { code: r.status, stderr: r.stderr };
  }

  const haveSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  (haveSystemdAnalyze || process.env.CI ? test : test.skip)('the systemd unit passes systemd-analyze verify', () => {
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(verify(unit)).toEqual({ code: 0, stderr: '' });
    // The check is real: a bad restart policy is reported.
    expect(verify(unit.replace('Restart=on-failure', 'Restart=sometimes')).stderr).toMatch(/restart specifier/);
  });

  test('the DaemonSet passes the Kubernetes schema and mounts what run needs', () => {
    const doc = parse(readFileSync(MANIFEST, 'utf8'));
    new DaemonSet(doc).validate();
    const spec = doc.spec.template.spec;
    const [container] = spec.containers;
    expect(container.securityContext.privileged).toBe(true);
    const mounts = Object.fromEntries(container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]));
    const hostPaths = Object.fromEntries(spec.volumes.map((v: { name: string; hostPath: { path: string } }) => [v.name, v.hostPath.path]));
    expect(hostPaths[mounts['/sys/kernel/btf']]).toBe('/sys/kernel/btf');
    expect(hostPaths[mounts['/sys/fs/bpf']]).toBe('/sys/fs/bpf');
    expect(container.command.slice(0, 2)).toEqual(['struct-ops', 'run']);
    // The check is real: a schema violation is refused.
    const broken = structuredClone(doc);
    broken.spec.template.spec.containers[0].securityContext.privileged = 'yes';
    expect(() => new DaemonSet(broken).validate()).toThrow(/privileged must be boolean/);
  });
});

describeKernel('examples: their command lines', () => {
  afterEach(() => killStarted());

  test('the systemd unit\'s ExecStart registers and a stop (SIGTERM) detaches', async () => {
    // A drop-in's Environment=CC_NAME=... picks the name; this one is unique to these tests.
    const argv = execStart(readFileSync(UNIT, 'utf8'), { CC_NAME: 's15_unit' });
    expect(argv[0]).toBe(INSTALLED_BIN);
    await runUntilSigterm(argv, 's15_unit');
  });

  test('the DaemonSet container\'s command registers and a pod deletion (SIGTERM) detaches', async () => {
    const doc = parse(readFileSync(MANIFEST, 'utf8'));
    const [container] = doc.spec.template.spec.containers;
    // The manifest's env value, overridden the way a kustomize patch would: unique to these tests.
    expect(container.env).toContainEqual({ name: 'CC_NAME', value: 'fleet_cc' });
    await runUntilSigterm(containerCommand(container, { CC_NAME: 's15_k8s' }), 's15_k8s');
  });
});

