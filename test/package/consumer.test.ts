import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel } from '../helpers/kernel';

const ROOT = join(__dirname, '..', '..');

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
}

/**
 * The consumer's view: pack the project, install the tarball into a fresh project with
 * default npm settings (dependency install scripts are not approved, so nothing compiles),
 * and use it from there.
 */
describeKernel('struct-ops as a dependency (npm pack -> npm install)', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'struct-ops-consumer-'));
    run('bash', ['scripts/prebuild.sh'], ROOT);
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as
      { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    tarball = join(dir, packed[0].filename);
    files = packed[0].files.map((f) => f.path).sort();
    console.log(`tarball ${packed[0].filename}: ${packed[0].size} bytes packed, ${packed[0].unpackedSize} unpacked, ` +
      `${files.length} files\n${files.join('\n')}`);
    const app = join(dir, 'app');
    run('mkdir', ['-p', app], dir);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', tarball], app);
  }, 600000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const app = (): string => join(dir, 'app');

  test('the tarball carries prebuilt addons and no tests, sources or build intermediates', () => {
    expect(files).toContain('prebuilds/linux-x64/struct_ops.node');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('lib/demo/demo_cc.bpf.o');
    // What a user reads: licenses, the API reference, runnable examples.
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'LICENSES/LGPL-2.1.txt', 'LICENSES/BSD-2-Clause.txt', 'LICENSES/GPL-2.0.txt',
      'docs/api/README.md', 'docs/api/functions/demoObjectPath.md', 'scripts/examples/quick-start.mjs', 'README.md']));
    expect(files.filter((f) => /^(test|build)\//.test(f) || (f.startsWith('scripts/') && !f.startsWith('scripts/examples/')))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(2 * 1024 * 1024);
  });

  test('install ran no build: no build/ directory, the addon comes from prebuilds/', () => {
    const pkg = join(app(), 'node_modules', 'struct-ops');
    expect(() => statSync(join(pkg, 'build'))).toThrow();
    const where = run(process.execPath, ['-e',
      `console.log(require(${JSON.stringify(join(pkg, 'dist', 'sys', 'addon-path.js'))}).findAddon())`], app());
    expect(where.trim()).toBe(join(pkg, 'prebuilds', `linux-${process.arch}`, 'struct_ops.node'));
  });

  test('require() and import both work and load the kernel BTF', () => {
    const cjs = run(process.execPath, ['-e',
      "const so=require('struct-ops');console.log(typeof so.openObject, so.loadKernelBtf().findByName('tcp_congestion_ops','struct').size)"], app());
    expect(cjs.trim()).toMatch(/^function \d+$/);
    const esm = run(process.execPath, ['--input-type=module', '-e',
      "import { openObject, BpfError } from 'struct-ops'; console.log(typeof openObject, typeof BpfError)"], app());
    expect(esm.trim()).toBe('function function');
  });

  test('the package says its license, and the demo object resolves by path and by export', () => {
    const pkg = JSON.parse(readFileSync(join(app(), 'node_modules', 'struct-ops', 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('LGPL-2.1 OR BSD-2-Clause');
    const out = run(process.execPath, ['-e',
      "const so=require('struct-ops');console.log(so.demoObjectPath()===require.resolve('struct-ops/demo_cc.bpf.o'), require('fs').statSync(so.demoObjectPath()).size>0)"], app());
    expect(out.trim()).toBe('true true');
  });

  test('the README quick start, copied as is into the consumer project, runs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Quick start'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    // The README names this file; the example in the package is the same program.
    expect(code).toBe(readFileSync(join(ROOT, 'scripts', 'examples', 'quick-start.mjs'), 'utf8'));
    writeFileSync(join(app(), 'quick-start.mjs'), code!);
    const r = spawnSync(process.execPath, ['quick-start.mjs'], { cwd: app(), encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^socket uses so_demo$/m);
    const m = /^init (\d+), cong_avoid (\d+)$/m.exec(r.stdout);
    expect(Number(m?.[1])).toBeGreaterThan(0);
    expect(Number(m?.[2])).toBeGreaterThan(0);
    expect(readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8')).not.toMatch(/\bso_demo\b/);
  });

  test('the bundled demo runs from the installed package', () => {
    const r = spawnSync('npx', ['struct-ops', 'demo', '--seconds', '1'], { cwd: app(), encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Registered tcp_congestion_ops so_demo');
    expect(r.stdout).toContain('the kernel is clean');
  });

  test('npx struct-ops show --json prints bpftool-shaped JSON', () => {
    const r = spawnSync('npx', ['struct-ops', 'show', '--json'], { cwd: app(), encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { id: number; name: string; kernel_struct_ops: string }[];
    expect(Array.isArray(list)).toBe(true);
    for (const entry of list) expect(Object.keys(entry)).toEqual(expect.arrayContaining(['id', 'name', 'kernel_struct_ops']));
  });

  test('the TypeScript types resolve under tsc --strict', () => {
    writeFileSync(join(app(), 'use.ts'), [
      "import { openObject, BpfError, setCongestionControl, loadKernelBtf } from 'struct-ops';",
      'async function main(): Promise<void> {',
      "  const obj = await openObject('cc.bpf.o');",
      '  await obj.load();',
      "  const link = await obj.structOps.get('mycc')!.attach();",
      "  const t = loadKernelBtf().findByName('tcp_congestion_ops', 'struct');",
      '  console.log(obj.warnings.length, t?.id, link.isLink, typeof setCongestionControl);',
      '  link.close();',
      '  obj.close();',
      '}',
      'main().catch((e: unknown) => { if (e instanceof BpfError) console.error(e.code, e.hint); });',
      '',
    ].join('\n'));
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const r = spawnSync(tsc, ['--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022',
      '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'use.ts'], { cwd: app(), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A wrong call must not type-check.
    writeFileSync(join(app(), 'bad.ts'), "import { openObject } from 'struct-ops';\nopenObject(42);\n");
    const bad = spawnSync(tsc, ['--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16',
      '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'bad.ts'], { cwd: app(), encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(readFileSync(join(app(), 'bad.ts'), 'utf8')).toContain('42');
  });
});
