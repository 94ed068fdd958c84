// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Loads one of the package's own bundles with the V8 code cache built beside it at build
 * time (`X.js` + `X.js.v8cache`, written by scripts/build-code-cache.js), so a cold process
 * neither parses the bundle nor compiles, function by function, the code a first load runs:
 * about 7 ms of `require('struct-ops')` and a third of a first open+load+attach
 * (docs/startup.md).
 *
 * Why it is safe: V8 checks little more than the source's length before running cached
 * code, so a forged cache is forged code. The cache is used only when its directory is
 * trusted along the whole path (lib/trust), and both files are opened relative to that
 * directory without following symlinks and are regular files of a trusted owner that
 * nobody else may write; the source compiled is read from the very descriptor whose size,
 * mtime and inode the cache was built for, and for this Node and V8. Anything else, or no
 * cache, is a plain `require`. Nothing is ever written here (the build writes the cache):
 * loading has no side effects.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { Script } from 'node:vm';
import { openTrustedDir, trustedEntry } from '../trust';

const MAGIC = 0x38765f53; // 'S_v8'
/** Bumped when the header changes. */
const VERSION = 1;
/** Header: magic, version, size, mtime (ns, 2 words), ino (2 words), dev (2 words), tag length. */
const HEADER_BYTES = 40;
/** Far more than any bundle's cache (~0.5 MB); a bigger file is not ours. */
export const MAX_CODE_CACHE = 64 << 20;
export const CODE_CACHE_SUFFIX = '.v8cache';

/** The runtime a cache is for: V8 rejects others anyway, but only after reading them. */
export function runtimeTag(): string {
  return `${process.version} ${process.versions.v8} ${process.arch}`;
}

/** The file a cache was built for, as fstat sees it (bigint: nanosecond mtime). */
interface SourceKey {
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

function keyOf(st: { size: bigint; mtimeNs: bigint; ino: bigint; dev: bigint }): SourceKey {
  return { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
}

/** The cache file's bytes: header, runtime tag, V8's data. Used by the build script. */
export function encodeCodeCache(source: { size: bigint; mtimeNs: bigint; ino: bigint; dev: bigint }, data: Buffer): Buffer {
  const tag = Buffer.from(runtimeTag(), 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + tag.length + data.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  const key = keyOf(source);
  out.writeBigUInt64LE(key.size, 8);
  out.writeBigUInt64LE(key.mtimeNs, 16);
  out.writeBigUInt64LE(key.ino, 24);
  // dev and the tag length share the last 8 bytes: dev's low 32 bits (major/minor fit).
  out.writeUInt32LE(Number(key.dev & 0xffffffffn), 32);
  out.writeUInt32LE(tag.length, 36);
  tag.copy(out, HEADER_BYTES);
  data.copy(out, HEADER_BYTES + tag.length);
  return out;
}

/** V8's data from a cache file built for `source` and this runtime, or undefined. */
export function decodeCodeCache(bytes: Buffer, source: SourceKey): Buffer | undefined {
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== VERSION) return undefined;
  if (bytes.readBigUInt64LE(8) !== source.size || bytes.readBigUInt64LE(16) !== source.mtimeNs) return undefined;
  if (bytes.readBigUInt64LE(24) !== source.ino || bytes.readUInt32LE(32) !== Number(source.dev & 0xffffffffn)) return undefined;
  const tagLength = bytes.readUInt32LE(36);
  // toString stops at the end of the bytes: a length past it cannot match the tag.
  if (bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + tagLength) !== runtimeTag()) return undefined;
  const data = bytes.subarray(HEADER_BYTES + tagLength);
  return data.length > 0 ? data : undefined;
}

/** The function a CommonJS module's source becomes (Node's own wrapper). */
export function wrapModuleSource(source: string): string {
  return Module.wrap(source);
}

/**
 * `require(filename)`, through the bundle's code cache when there is a trusted one. The
 * module is entered in require.cache as Node's loader would, so a later require of the
 * same file gets the same exports.
 */
export function requireBundle(filename: string, parent?: NodeModule): unknown {
  const cached = require.cache[filename];
  if (cached !== undefined) return cached.exports;
  const found = readWithCache(filename);
  if (found === undefined) return require(filename);
  const script = new Script(wrapModuleSource(found.source), { filename, cachedData: found.cache });
  const mod = new Module(filename, parent as Module | undefined);
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
  require.cache[filename] = mod;
  try {
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    fn.call(mod.exports, mod.exports, createRequire(filename), mod, filename, dirname(filename));
  } catch (err) {
    delete require.cache[filename];
    throw err;
  }
  mod.loaded = true;
  return mod.exports;
}

/** The bundle's source and V8 data, when both files pass every check; undefined otherwise. */
function readWithCache(filename: string): { source: string; cache: Buffer } | undefined {
  const dir = openTrustedDir(dirname(filename));
  if (dir === undefined) return undefined;
  let sourceFd = -1;
  let cacheFd = -1;
  try {
    const name = basename(filename);
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    cacheFd = openSync(dir.path(name + CODE_CACHE_SUFFIX), flags);
    const cacheStat = fstatSync(cacheFd);
    if (!usable(cacheStat) || cacheStat.size > MAX_CODE_CACHE) return undefined;
    sourceFd = openSync(dir.path(name), flags);
    const sourceStat = fstatSync(sourceFd, { bigint: true });
    if (!usable(sourceStat)) return undefined;
    const cache = decodeCodeCache(readAll(cacheFd, cacheStat.size), keyOf(sourceStat));
    if (cache === undefined) return undefined;
    return { source: readAll(sourceFd, Number(sourceStat.size)).toString('utf8'), cache };
  } catch {
    return undefined;
  } finally {
    if (sourceFd >= 0) closeSync(sourceFd);
    if (cacheFd >= 0) closeSync(cacheFd);
    dir.close();
  }
}

/** A regular file with one name, of a trusted owner, that nobody else may write. */
function usable(st: Stats | import('node:fs').BigIntStats): boolean {
  return st.isFile() && Number(st.nlink) === 1 && trustedEntry({ uid: Number(st.uid), mode: Number(st.mode) });
}

/** Exactly `size` bytes from the start of `fd` (a shorter file: an error, so no cache). */
function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  while (pos < size) {
    const n = readSync(fd, buf, pos, size - pos, pos);
    if (n <= 0) throw new Error('short read');
    pos += n;
  }
  return buf;
}
