// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/**
 * The package's root directory: the nearest one at or above this module holding a
 * package.json. Found rather than fixed because this module runs from lib/ (tests),
 * dist/ (tsc) and the bundles of dist/bundle and dist/cli (scripts/build-bundles.js).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = __dirname;
  for (let i = 0; i < 4 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  root = existsSync(join(dir, 'package.json')) ? dir : join(__dirname, '..');
  return root;
}
