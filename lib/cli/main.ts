#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// First, so every module the CLI loads is compiled with the code cache (see compile-cache.ts).
import { installCompileCache } from '../compile-cache';
installCompileCache();
import { runCli } from './run';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`struct-ops: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
