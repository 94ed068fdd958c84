/** Runs the built CLI (`node dist/cli/main.js ...`) as a separate process. */
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFFS_ROOT } from '../../lib';
import { assertDistBuilt, DIST, eventually } from './child';
import { runAsNobody, unprivilegedCli } from './child-unprivileged';
import { unregisterLeftovers } from './cleanup';

export const CLI = join(DIST, 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli/main.js ...args`. With `unprivileged`, runs it as nobody with no
 * capabilities (setpriv), the way a normal user would, from a copy of the build nobody can
 * read wherever this checkout lives (see child-unprivileged.ts).
 */
export function cli(args: string[], options: { unprivileged?: boolean } = {}): CliResult {
  assertDistBuilt();
  const spawnOpts: SpawnSyncOptions = { encoding: 'utf8', timeout: 60000 };
  const r = options.unprivileged
    ? runAsNobody([unprivilegedCli(), ...args], spawnOpts)
    : spawnSync(process.execPath, [CLI, ...args], spawnOpts);
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Scratch pin directories for one CLI test file, removed (with leftovers unregistered) after each test. */
export interface PinScratch {
  /** A fresh directory under /sys/fs/bpf (not created). */
  pinDir(): string;
  /** A fresh temp directory (created), e.g. for a non-bpffs path. */
  tmpDir(): string;
}

/**
 * Sets up what every register/unregister/update test file needs: unique pin and temp
 * directories, and after each test the directories removed, leftovers of maps named
 * `prefix*` unregistered and bpftool showing none of them. (A bpffs the tests mounted at
 * /sys/fs/bpf is unmounted by the run's globalTeardown: test/helpers/bpffs-state.js.)
 */
export function pinScratch(prefix: string, ours: () => unknown[]): PinScratch {
  const dirs: string[] = [];
  let n = 0;
  afterEach(async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    unregisterLeftovers([prefix]);
    expect(await eventually(() => ours().length === 0)).toBe(true);
  });
  return {
    pinDir() {
      const dir = join(BPFFS_ROOT, `struct-ops-test-${process.pid}-${n++}`);
      dirs.push(dir);
      return dir;
    },
    tmpDir() {
      const dir = mkdtempSync(join(tmpdir(), 'struct-ops-test-'));
      dirs.push(dir);
      return dir;
    },
  };
}
