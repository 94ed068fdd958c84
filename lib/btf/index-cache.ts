// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The boot-scoped on-disk cache of the kernel BTF's {@link VmlinuxIndex}: one file,
 * `/run/struct-ops/vmlinux.idx` by default (a tmpfs, emptied at boot), keyed by the boot
 * id and the BTF's size, header and first page.
 *
 * Trust: the directory is used only when every directory on its path is writable by the
 * running user alone (root: root alone), checked on fds opened without following symlinks
 * (lib/trust); the file is opened relative to that fd, without following a symlink,
 * and must be a regular file of a trusted owner that nobody else may write. Unprivileged
 * processes read a root-built index (0644 in a 0755 directory) but never write one there.
 * Anything else is ignored and nothing is written. Even a trusted file is only a hint:
 * every id it yields is proven against the real BTF (indexed.ts).
 *
 * Size and eviction: one file, at most {@link MAX_INDEX_FILE} bytes; an index for another
 * boot or kernel is replaced by the first process that may write; temporary files that a
 * killed writer left behind are removed by the next writer.
 *
 * Writes are atomic (temporary file, then rename, both inside the checked directory).
 * Nothing here throws: without a usable cache, BTF is read as before.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from '../sys';
import { effectiveUid, openTrustedDir, trustedEntry, type TrustedDir } from '../trust';
import { VmlinuxIndex, type IndexKey } from './vmlinux-index';

/** Where the cache lives unless `STRUCT_OPS_BTF_CACHE` says otherwise. */
export const DEFAULT_CACHE_DIR = '/run/struct-ops';
const FILE_NAME = 'vmlinux.idx';
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
/** Far larger than any real index (~0.45 MB for 125k types); a bigger file is not ours. */
export const MAX_INDEX_FILE = 16 << 20;
/** A temporary file older than this was left by a writer that died. */
const STALE_TEMP_MS = 10 * 60 * 1000;
const TEMP_PREFIX = `.${FILE_NAME}.`;

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

/** Path of the cache file (for messages and tests; the cache itself never opens it by path). */
export function cachePath(opts: IndexCacheOptions): string {
  return `${opts.dir.replace(/\/+$/, '')}/${FILE_NAME}`;
}

/**
 * Reads and checks the cached index. Returns undefined when there is none, or it is not
 * trustworthy (see the file comment) or not valid for `key`.
 */
export function loadIndex(opts: IndexCacheOptions, key: IndexKey, typeWords: number, firstId: number): VmlinuxIndex | undefined {
  const dir = openTrustedDir(opts.dir);
  if (!dir) return undefined;
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted under the name must not block the open.
    fd = openSync(dir.path(FILE_NAME), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    dir.close();
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1 || st.size > MAX_INDEX_FILE || !trustedEntry(st)) return undefined;
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
    dir.close();
  }
}

/** Writes the index atomically. Returns false (and leaves no file behind) when it cannot. */
export function storeIndex(opts: IndexCacheOptions, key: IndexKey, index: VmlinuxIndex): boolean {
  const dir = openTrustedDir(opts.dir, true);
  if (!dir) return false;
  const tmp = dir.path(`${TEMP_PREFIX}${process.pid}.${(require('node:crypto') as typeof import('node:crypto')).randomBytes(6).toString('hex')}`);
  try {
    if (!dir.writable) return false;
    evictTemporaries(dir);
    const bytes = index.serialize(key);
    if (bytes.length > MAX_INDEX_FILE) return false;
    // 'wx' (O_CREAT|O_EXCL) never follows or reuses an existing file; readers only ever see a complete one.
    writeFileSync(tmp, bytes, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, dir.path(FILE_NAME));
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was created
    }
    return false;
  } finally {
    dir.close();
  }
}

/** Removes temporary files of writers that died (older than {@link STALE_TEMP_MS}). */
function evictTemporaries(dir: TrustedDir): void {
  let names: string[];
  try {
    names = readdirSync(`/proc/self/fd/${dir.fd}`);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    try {
      const st = lstatSync(dir.path(name), { throwIfNoEntry: false });
      if (st && now - st.mtimeMs > STALE_TEMP_MS) unlinkSync(dir.path(name));
    } catch {
      // raced with its writer, or not ours
    }
  }
}

/**
 * Whether {@link storeIndex} could plausibly succeed: the directory, or the closest
 * ancestor that exists, is trusted along its path and writable by us.
 */
export function canStore(opts: IndexCacheOptions): boolean {
  const euid = effectiveUid();
  for (let d = opts.dir, up = ''; d !== up; up = d, d = dirname(d)) {
    const dir = openTrustedDir(d);
    if (!dir) {
      // Missing: try the parent; present but untrusted: no.
      try {
        statSync(d);
        return false;
      } catch {
        continue;
      }
    }
    const ok = dir.writable && (euid === 0 || fstatSync(dir.fd).uid === euid);
    dir.close();
    return ok;
  }
  return false;
}

/** Removes the cache file (an index the BTF contradicted). Errors are ignored. */
export function dropIndex(opts: IndexCacheOptions): void {
  const dir = openTrustedDir(opts.dir);
  if (!dir) return;
  try {
    if (dir.writable) unlinkSync(dir.path(FILE_NAME));
  } catch {
    // already gone, or not ours to remove
  } finally {
    dir.close();
  }
}
