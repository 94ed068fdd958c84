/** Runs the built CLI (`node dist/cli/main.js ...`) as a separate process. */
import { execFileSync, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFFS_ROOT, isBpffs } from '../../lib';
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

// Entries the kernel's bpf_preload puts in every fresh bpffs mount.
const PRELOAD_ENTRIES = new Set(['maps.debug', 'progs.debug']);

/**
 * Keeps the machine as the tests found it: call in beforeAll, and call the result in
 * afterAll. When /sys/fs/bpf was not a BPF filesystem before and the tests mounted one
 * (pinning does, like bpftool), it is unmounted again once nothing is pinned in it.
 */
export function restoreBpffsRootLater(): () => void {
  const was = isBpffs(BPFFS_ROOT);
  return () => {
    if (was || !isBpffs(BPFFS_ROOT)) return;
    if (readdirSync(BPFFS_ROOT).every((e) => PRELOAD_ENTRIES.has(e))) execFileSync('umount', [BPFFS_ROOT]);
  };
}

/** Scratch pin directories for one CLI test file, removed (with leftovers unregistered) after each test. */
export interface PinScratch {
  /** A fresh directory under /sys/fs/bpf (not created). */
  pinDir(): string;
  /** A fresh temp directory (created), e.g. for a non-bpffs path. */
  tmpDir(): string;
}

/**
 * Sets up what every register/unregister/update test file needs: /sys/fs/bpf restored as
 * found (see restoreBpffsRootLater), unique pin and temp directories, and after each test
 * the directories removed, leftovers of maps named `prefix*` unregistered and bpftool
 * showing none of them.
 */
export function pinScratch(prefix: string, ours: () => unknown[]): PinScratch {
  const dirs: string[] = [];
  let n = 0;
  let restore = (): void => undefined;
  beforeAll(() => {
    restore = restoreBpffsRootLater();
  });
  afterAll(() => restore());
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
