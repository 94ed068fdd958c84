// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The boot-scoped on-disk cache of the kernel BTF's {@link VmlinuxIndex}: one file,
 * `/run/struct-ops/vmlinux.idx` by default (a tmpfs, emptied at boot), keyed by the boot
 * id and the BTF's size, header and first page. Writes are atomic (temporary file, then
 * rename); a file that is unreadable, foreign-owned, writable by others, for another key or
 * corrupt is ignored. Nothing here throws: without a usable cache, BTF is read as before.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { VmlinuxIndex, type IndexKey } from './vmlinux-index';

/** Where the cache lives unless `STRUCT_OPS_BTF_CACHE` says otherwise. */
export const DEFAULT_CACHE_DIR = '/run/struct-ops';
const FILE_NAME = 'vmlinux.idx';
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
/** Far larger than any real index (~0.6 MB for 125k types); a bigger file is not ours. */
const MAX_FILE = 64 << 20;

/** Where to keep the index and what to key it by. */
export interface IndexCacheOptions {
  /** Directory of the cache file (created when missing). */
  dir: string;
  /** The boot id to key by (a UUID string); read from /proc when absent. For tests. */
  bootId?: string;
}

/**
 * The cache settings for the running kernel: `STRUCT_OPS_BTF_CACHE` names another directory,
 * or turns the cache off when set to `off` or the empty string.
 */
export function defaultCacheOptions(env: NodeJS.ProcessEnv = process.env): IndexCacheOptions | undefined {
  const dir = env.STRUCT_OPS_BTF_CACHE;
  if (dir === undefined) return { dir: DEFAULT_CACHE_DIR };
  if (dir === '' || dir === 'off') return undefined;
  return { dir };
}

/** Bytes of each end of the blob that go into the key's CRC. */
export const EDGE_BYTES = 4096;

/**
 * The key for a BTF blob of `fileSize` bytes whose first and last {@link EDGE_BYTES}
 * (or fewer, for a smaller file) are `head` and `tail`. Returns undefined when the boot id
 * cannot be read or parsed.
 */
export function indexKey(opts: IndexCacheOptions, fileSize: number, head: Buffer, tail: Buffer): IndexKey | undefined {
  let text = opts.bootId;
  if (text === undefined) {
    try {
      text = readFileSync(BOOT_ID, 'latin1');
    } catch {
      return undefined;
    }
  }
  const hex = text.trim().split('-').join('').toLowerCase();
  const bootId = Buffer.from(hex, 'hex');
  // Buffer.from stops at the first non-hex digit; a round trip proves all 32 were valid.
  if (bootId.length !== 16 || bootId.toString('hex') !== hex) return undefined;
  return {
    bootId,
    fileSize,
    header: head.subarray(0, 24),
    edgeCrc: crc32(tail, crc32(head)),
  };
}

/** Path of the cache file. */
export function cachePath(opts: IndexCacheOptions): string {
  return join(opts.dir, FILE_NAME);
}

/**
 * Reads and checks the cached index. Returns undefined when there is none, or it is not
 * trustworthy (owned by someone else, writable by group or others) or not valid for `key`.
 */
export function loadIndex(opts: IndexCacheOptions, key: IndexKey, typeWords: number, firstId: number): VmlinuxIndex | undefined {
  let fd: number;
  try {
    fd = openSync(cachePath(opts), 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_FILE || !trusted(st) || !trusted(statSync(opts.dir))) return undefined;
    const buf = Buffer.allocUnsafeSlow(st.size);
    let pos = 0;
    while (pos < buf.length) {
      const n = readSync(fd, buf, pos, buf.length - pos, pos);
      if (n <= 0) return undefined;
      pos += n;
    }
    return VmlinuxIndex.parse(buf, key, typeWords, firstId);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes the index atomically. Returns false (and leaves no file behind) when it cannot. */
export function storeIndex(opts: IndexCacheOptions, key: IndexKey, index: VmlinuxIndex): boolean {
  const tmp = join(opts.dir, `.${FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(opts.dir, { recursive: true, mode: 0o755 });
    if (!trusted(statSync(opts.dir))) return false;
    // 'wx' never follows or reuses an existing file; readers only ever see a complete one.
    writeFileSync(tmp, index.serialize(key), { mode: 0o644, flag: 'wx' });
    renameSync(tmp, cachePath(opts));
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was created
    }
    return false;
  }
}

/**
 * Whether {@link storeIndex} could plausibly succeed: the directory, or the closest
 * ancestor that exists, is a directory we may write to.
 */
export function canStore(opts: IndexCacheOptions): boolean {
  for (let dir = opts.dir, up = ''; dir !== up; up = dir, dir = dirname(dir)) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      continue; // missing: look at the parent
    }
    if (!st.isDirectory()) return false;
    const uid = process.geteuid?.() ?? -1;
    // Root may write anywhere; others need to own the directory.
    return uid === 0 || st.uid === uid;
  }
  return false;
}

/** Removes the cache file (an index the BTF contradicted). Errors are ignored. */
export function dropIndex(opts: IndexCacheOptions): void {
  try {
    unlinkSync(cachePath(opts));
  } catch {
    // already gone, or not ours to remove
  }
}

/** Owned by root or by us, and not writable by group or others. */
function trusted(st: { uid: number; mode: number }): boolean {
  const uid = process.geteuid?.() ?? -1;
  return (st.uid === 0 || st.uid === uid) && (st.mode & 0o022) === 0;
}
