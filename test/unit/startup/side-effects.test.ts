/**
 * `require('struct-ops')` changes nothing outside the process, and the CLI starts by loading
 * only what a command needs. Runs the BUILT package (dist/, made by `npm test`'s build step),
 * since that is what `require('struct-ops')` and the `struct-ops` bin load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertDistBuilt } from '../../helpers/child';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const COUNT_MODULES = join(ROOT, 'scripts', 'bench', 'count-modules.js');

/** In a child: the loader's hooks and the mounts before and after require(ROOT). */
const PROBE = `
const Module = require('module');
const fs = require('fs');
const hooks = () => [Module.prototype._compile, Module.prototype.load, Module.prototype.require, Module._load,
  Module._resolveFilename, Module._extensions['.js'], Module._extensions['.json'], Module._extensions['.node']];
const before = hooks();
const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
const lib = require(process.argv[1]);
const after = hooks();
process.stdout.write(JSON.stringify({
  exports: Object.keys(lib).length,
  sameHooks: before.every((h, i) => h === after[i]),
  sameMounts: fs.readFileSync('/proc/self/mountinfo', 'utf8') === mounts,
}));
`;

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

function hasStrace(): boolean {
  return spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
}

describe('require("struct-ops") has no side effects', () => {
  let sandbox: string;
  beforeAll(() => {
    assertDistBuilt();
    sandbox = mkdtempSync(join(tmpdir(), 'struct-ops-test-i13-import-'));
  });
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  it('leaves Node\'s loader, the mounts, HOME, TMPDIR and /run/struct-ops as they were', () => {
    const home = join(sandbox, 'home');
    const tmp = join(sandbox, 'tmp');
    for (const d of [home, tmp]) rmSync(d, { recursive: true, force: true });
    require('node:fs').mkdirSync(home);
    require('node:fs').mkdirSync(tmp);
    const run = listing('/run/struct-ops');
    const r = spawnSync(process.execPath, ['-e', PROBE, ROOT], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp, XDG_CACHE_HOME: join(home, '.cache') },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { exports: number; sameHooks: boolean; sameMounts: boolean };
    expect(out.exports).toBeGreaterThan(20);
    expect(out.sameHooks).toBe(true);
    expect(out.sameMounts).toBe(true);
    expect(listing(home)).toEqual([]);
    expect(listing(tmp)).toEqual([]);
    expect(listing('/run/struct-ops')).toEqual(run);
  });

  it('makes no syscall that creates, writes, renames, removes or mounts anything (strace)', () => {
    // strace is part of the test environment (.ci installs it for the fault sweep too).
    expect(hasStrace()).toBe(true);
    const log = join(sandbox, 'strace.log');
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e',
      'trace=openat,open,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,link,linkat,symlink,symlinkat,truncate,ftruncate,chmod,fchmod,fchmodat,chown,fchown,fchownat,mount,umount2',
      process.execPath, '-e', `require(${JSON.stringify(ROOT)})`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const calls = readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.includes('+++ exited'));
    const changes = calls.filter((l) => {
      if (/\b(openat|open)\(/.test(l)) return /O_(WRONLY|RDWR|CREAT|TRUNC)/.test(l);
      return true; // every other traced call changes the file system
    });
    // The bundle is opened by name or, by lib/loader, relative to its checked directory's fd.
    expect(calls.some((l) => l.includes(join('dist', 'bundle', 'index.js')) || /\/proc\/self\/fd\/\d+\/index\.js"/.test(l))).toBe(true);
    expect(changes).toEqual([]);
  });

  // Loading zlib (which loads stream), crypto or os would cost ~4 ms of the 10 ms budget of
  // issue 13 for code only a kernel BTF parse, a cache write or a message needs. node:vm is
  // the one exception: lib/loader compiles the bundle with its code cache through it.
  it('loads no Node built-in module that Node had not loaded already, but node:vm', () => {
    const r = spawnSync(process.execPath, ['-e', `const before = new Set(process.moduleLoadList);
require(process.argv[1]);
const added = process.moduleLoadList.filter((m) => !before.has(m));
// process.stdout on a pipe loads node:stream itself: list first, then write.
process.stdout.write(JSON.stringify(added));`, ROOT], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['NativeModule vm']);
  });
});

describe('CLI start-up', () => {
  beforeAll(() => assertDistBuilt());

  /** Module files the CLI loaded for `args` (require.cache, counted at exit). */
  function modulesLoaded(args: string[]): number {
    const r = spawnSync(process.execPath, ['-r', COUNT_MODULES, CLI, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const m = /\{"modules":(\d+)\}/.exec(r.stderr);
    expect(m).not.toBeNull();
    return Number(m![1]);
  }

  // N = 1: the entry bundle holds the argument dispatch, the command table and the help
  // text. Anything more (a command's bundle, the native addon, package.json) would be code
  // `--help` does not run but pays to find, read and compile.
  it('--help loads one module file', () => {
    expect(modulesLoaded(['--help'])).toBe(1);
  });

  // N = 2: the entry and that command's own bundle; not the addon (nothing touches the kernel).
  // N = 3 for a command that loads objects: its bundle takes the library from the library
  // bundle (whose code cache was warmed up on a load, scripts/build-bundles.js), still no addon.
  it('COMMAND --help loads only the entry, that command and (for a loading command) the library', () => {
    expect(modulesLoaded(['types', '--help'])).toBe(2);
    expect(modulesLoaded(['show', '--help'])).toBe(2);
    expect(modulesLoaded(['register', '--help'])).toBe(3);
    expect(modulesLoaded(['update', '--help'])).toBe(3);
  });
});
