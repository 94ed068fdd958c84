// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A V8 code cache for this package's own modules, so a fresh process (every CLI run) does
 * not re-parse and re-compile ~130 modules and the functions they run: the cold open+load
 * of an object spends about a third of its time in V8's compiler otherwise. Node 22 has
 * module.enableCompileCache(); on Node 20 this does the same for our files only.
 *
 * Each module is compiled through vm.Script with the cached data of an earlier run (V8
 * itself rejects data of another source, V8 version or flag set); at exit, modules that
 * had no usable cache write one that includes every function compiled meanwhile.
 * The cache lives in a directory only the current user (or root) can write - never a
 * shared one, since V8 trusts code cache contents - and is skipped when that cannot be
 * ensured. STRUCT_OPS_COMPILE_CACHE=off disables it; =DIR chooses the directory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module = require('node:module');
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';

/** Package root: this file is lib/compile-cache.ts or dist/compile-cache.js. */
const ROOT = join(__dirname, '..') + sep;
const INSTALLED = Symbol.for('struct-ops.compile-cache');

interface Compiled {
  script: Script;
  file: string;
  reused: boolean;
}

type CompileFn = (this: NodeJS.Module, content: string, filename: string) => unknown;

/** The cache directory for this user, or undefined when none is safe to use. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.STRUCT_OPS_COMPILE_CACHE;
  if (setting === 'off' || setting === '0') return undefined;
  const uid = process.geteuid?.() ?? -1;
  const base = setting || (uid === 0 ? '/run/struct-ops' : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'struct-ops'));
  const dir = join(base, `v8-${process.version}-${process.arch}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    // Only a directory of ours that nobody else can write: V8 does not validate code.
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function cacheFile(dir: string, filename: string, content: string): string {
  return join(dir, createHash('sha256').update(filename).update('\0').update(content).digest('hex').slice(0, 40));
}

/** Installs the cache for modules under the package root (once per process). */
export function installCompileCache(): void {
  const registry = globalThis as unknown as Record<symbol, boolean>;
  if (registry[INSTALLED]) return;
  registry[INSTALLED] = true;
  const dir = compileCacheDir();
  if (dir === undefined) return;
  const proto = (Module as unknown as { prototype: { _compile: CompileFn } }).prototype;
  const wrap = (Module as unknown as { wrap(code: string): string }).wrap;
  const resolve = (Module as unknown as { _resolveFilename(r: string, m: NodeJS.Module, isMain: boolean, o?: unknown): string })._resolveFilename;
  const original = proto._compile;
  const compiled: Compiled[] = [];

  proto._compile = function compileWithCache(this: NodeJS.Module, content: string, filename: string): unknown {
    // Our own files only: not other packages, nor our own dependencies below ROOT.
    if (!filename.startsWith(ROOT) || filename.startsWith(`node_modules${sep}`, ROOT.length)) {
      return original.call(this, content, filename);
    }
    const file = cacheFile(dir, filename, content);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // first run, or evicted: compile normally and write one at exit
    }
    const script = new Script(wrap(content), { filename, cachedData });
    compiled.push({ script, file, reused: cachedData !== undefined && !script.cachedDataRejected });
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const mod = this;
    const req = ((id: string) => mod.require(id)) as NodeJS.Require;
    req.resolve = ((request: string, options?: unknown) => resolve(request, mod, false, options)) as NodeJS.RequireResolve;
    req.main = require.main;
    req.cache = require.cache;
    return fn.call(mod.exports, mod.exports, req, mod, filename, dirname(filename));
  };

  process.once('exit', () => {
    for (const c of compiled) {
      if (c.reused) continue;
      try {
        const tmp = `${c.file}.${process.pid}.tmp`;
        writeFileSync(tmp, c.script.createCachedData(), { mode: 0o600, flag: 'wx' });
        renameSync(tmp, c.file);
      } catch {
        // a cache is an optimisation: never fail the process over it
      }
    }
  });
}
