#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireBundle } from '../loader';
import { commandOf, runCli } from './run';

/**
 * The runCli to use. In the published build each command is a bundle of its own
 * (dist/cli/command-NAME.js, scripts/build-bundles.js) that carries its own runCli: the
 * whole command then runs on one copy of every module (error classes, signal handlers),
 * not half on the entry's and half on the command's. It is loaded with its V8 code cache
 * when that is trusted (lib/loader).
 */
function runnerFor(argv: string[]): typeof runCli {
  const name = commandOf(argv);
  const bundle = name === undefined ? undefined : join(__dirname, `command-${name}.js`);
  if (bundle === undefined || !existsSync(bundle)) return runCli;
  return (requireBundle(bundle) as { runCli: typeof runCli }).runCli;
}

runnerFor(process.argv.slice(2))(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`struct-ops: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
