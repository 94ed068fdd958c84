/** Runs the built CLI (`node dist/cli/main.js ...`) as a separate process. */
import { execFileSync, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BPFFS_ROOT, isBpffs } from '../../lib';
import { assertDistBuilt, DIST } from './child';

export const CLI = join(DIST, 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli/main.js ...args`. With `unprivileged`, runs it as nobody with no
 * capabilities (setpriv), the way a normal user would.
 */
export function cli(args: string[], options: { unprivileged?: boolean } = {}): CliResult {
  assertDistBuilt();
  const argv = [CLI, ...args];
  const spawnOpts: SpawnSyncOptions = { encoding: 'utf8', timeout: 60000 };
  const r = options.unprivileged
    ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, ...argv], spawnOpts)
    : spawnSync(process.execPath, argv, spawnOpts);
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
