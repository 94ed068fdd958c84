// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root';

/**
 * Where struct_ops.node may be, in the order they are tried: an explicit STRUCT_OPS_ADDON
 * (the sanitizer job, a cross build); a local build (`build/Release`: only present when
 * someone built from source on purpose - `npm install` in a clone, or `npm run
 * build:native` - so it must win over a possibly stale prebuild, as node-gyp-build does);
 * then the prebuilt binary shipped in the package for this platform (`prebuilds/linux-x64`,
 * `prebuilds/linux-arm64`; N-API, so one per platform serves every Node version), which is
 * what an installed dependency uses.
 */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env, platform = process.platform, arch = process.arch): string[] {
  const list: string[] = [];
  if (env.STRUCT_OPS_ADDON) list.push(env.STRUCT_OPS_ADDON);
  list.push(join(packageRoot(), 'build', 'Release', 'struct_ops.node'));
  list.push(join(packageRoot(), 'prebuilds', `${platform}-${arch}`, 'struct_ops.node'));
  return list;
}

/** The first candidate that exists, or undefined when there is none. */
export function findAddon(candidates: string[] = addonCandidates()): string | undefined {
  return candidates.find((p) => existsSync(p));
}
