/**
 * Running code as an unprivileged user (nobody, no capabilities) from any checkout: the
 * clone may sit in a directory nobody cannot enter (`/root`, `mktemp -d`: mode 0700), so the
 * unprivileged process gets its own copy of what it runs - dist/, the addon, package.json,
 * the demo object and the runtime dependencies - in a fresh root-owned, mode-0755 temporary
 * directory (readable by everyone, writable by root only). The user's directories are never
 * touched. The copy is made once per test file and removed after its tests.
 */
import { spawnSync, SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { assertDistBuilt, DIST } from './child';

const ROOT = join(DIST, '..');
/** What the built library and CLI read at run time, relative to the package root. */
const RUNTIME = ['dist', 'package.json', 'lib/demo/demo_cc.bpf.o', 'build/Release/struct_ops.node', 'prebuilds'];

export const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];

let stage: string | undefined;

/** True when every directory from / down to `dir` can be searched by others (o+x). */
function traversableByOthers(dir: string): boolean {
  for (let p = dir; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (dirname(p) === p) return true;
  }
}

/**
 * The package root of the staged copy (created on first use): `<stage>/dist/index.js` is the
 * library, `<stage>/dist/cli/main.js` the CLI.
 */
export function unprivilegedRoot(): string {
  if (stage !== undefined) return stage;
  assertDistBuilt();
  // TMPDIR itself may be private; /tmp (sticky, 1777) always lets nobody through.
  const base = traversableByOthers(tmpdir()) ? tmpdir() : '/tmp';
  const dir = mkdtempSync(join(base, 'struct-ops-unpriv-'));
  chmodSync(dir, 0o755);
  for (const entry of RUNTIME) {
    const from = join(ROOT, entry);
    if (!existsSync(from)) continue;
    // cpSync keeps the modes of the (root-owned) build: files 0644, directories 0755.
    cpSync(from, join(dir, entry), { recursive: true, dereference: true });
  }
  chmodTree(dir);
  stage = dir;
  return dir;
}

/** Makes the copy readable for everyone, writable for its owner (root) only. */
function chmodTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    chmodSync(path, e.isDirectory() || (statSync(path).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** Removes the staged copy (registered below for every test file that imports this). */
export function removeUnprivilegedRoot(): void {
  if (stage !== undefined) rmSync(stage, { recursive: true, force: true });
  stage = undefined;
}

if (typeof afterAll === 'function') afterAll(removeUnprivilegedRoot);

/**
 * Runs `node ...args` as nobody without capabilities (setpriv), in the staged copy's
 * directory. `args` may name files of the staged copy through {@link unprivilegedRoot}.
 */
export function runAsNobody(args: string[], options: SpawnSyncOptions = {}): SpawnSyncReturns<string> {
  const cwd = unprivilegedRoot();
  return spawnSync('setpriv', [...NOBODY, process.execPath, ...args], { encoding: 'utf8', timeout: 60000, cwd, ...options }) as SpawnSyncReturns<string>;
}

/** The staged CLI entry point (for {@link runAsNobody}). */
export function unprivilegedCli(): string {
  return join(unprivilegedRoot(), 'dist', 'cli', 'main.js');
}

/** The staged library entry point (`require()` it in a script run by {@link runAsNobody}). */
export function unprivilegedLibrary(): string {
  return join(unprivilegedRoot(), 'dist', 'index.js');
}
