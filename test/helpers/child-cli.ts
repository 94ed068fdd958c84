/** Runs the built CLI (`node dist/cli/main.js ...`) as a separate process. */
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
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
