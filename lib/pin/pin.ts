// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * bpffs helpers: make sure a directory is on a BPF filesystem (mounting one when needed, as
 * bpftool does), pin an object there, tell what a pin holds, and remove a pin.
 */
import { mkdirSync, readdirSync, readlinkSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { BpfError } from '../errors';
import { FdLike, linkGetInfo, mapGetInfo, objGet, objPin } from '../sys';

/** statfs f_type of a BPF filesystem (BPF_FS_MAGIC in linux/magic.h). */
export const BPFFS_MAGIC = 0xcafe4a11;

/** Where systemd (and bpftool's default) mount bpffs. */
export const BPFFS_ROOT = '/sys/fs/bpf';

const NOT_BPFFS_HINT = `use a path under ${BPFFS_ROOT}, or mount a BPF filesystem first: mount -t bpf bpf DIR`;

/** True when `path` exists and lies on a BPF filesystem. */
export function isBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPFFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Makes `dir` a directory on a BPF filesystem, creating parent directories inside bpffs.
 * When the nearest existing ancestor is not on bpffs, mounts one (`mount -t bpf bpf`):
 * at {@link BPFFS_ROOT} for paths below it (sysfs allows no other directories there),
 * otherwise at `dir` itself, which is created first (bpftool's create_and_mount_bpffs_dir).
 * An existing non-empty directory is never mounted over, so no files get hidden.
 *
 * @returns the directory where a BPF filesystem was mounted, or undefined when none was needed.
 * @throws {BpfError} when the directory is not on bpffs and cannot be made one
 *   (ENOTEMPTY, ENOTDIR, EPERM when not root, or the mkdir error), with a hint.
 */
export function ensureBpffsDir(dir: string): string | undefined {
  const abs = resolve(dir);
  const existing = nearestExisting(abs);
  if (!statSync(existing).isDirectory()) {
    throw notBpffs(abs, 'ENOTDIR', `${existing} is not a directory`);
  }
  if (isBpffs(existing)) {
    mkdirs(abs);
    return undefined;
  }
  const mountPoint = abs === BPFFS_ROOT || abs.startsWith(BPFFS_ROOT + sep) ? BPFFS_ROOT : abs;
  mkdirs(mountPoint);
  if (readdirSync(mountPoint).length > 0) {
    throw notBpffs(abs, 'ENOTEMPTY', `${mountPoint} is not on a BPF filesystem and is not empty (mounting bpffs there would hide its files)`);
  }
  try {
    // child_process only when mounting: loading it costs ~2 ms in every process otherwise.
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    execFileSync('mount', ['-t', 'bpf', 'bpf', mountPoint], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    const code = process.geteuid?.() === 0 ? 'EIO' : 'EPERM';
    throw notBpffs(abs, code, `mounting a BPF filesystem at ${mountPoint} failed${stderr ? `: ${stderr}` : ''}`, err);
  }
  if (!isBpffs(mountPoint)) throw notBpffs(abs, 'EIO', `${mountPoint} is still not on a BPF filesystem after mount`);
  mkdirs(abs);
  return mountPoint;
}

/**
 * Pins a BPF object (link, map, program) at `path`, first making its directory a bpffs
 * directory with {@link ensureBpffsDir}.
 *
 * @throws {BpfError} EEXIST when `path` exists; the errors of {@link ensureBpffsDir}; the
 *   BPF_OBJ_PIN error otherwise.
 */
export function pinObject(fd: FdLike, path: string): void {
  const abs = resolve(path);
  if (exists(abs)) {
    throw new BpfError(`cannot pin at ${abs}: the path exists`, {
      code: 'EEXIST', hint: 'choose another path or remove the old pin (struct-ops unregister --pin PATH, or rm PATH)',
    });
  }
  ensureBpffsDir(dirname(abs));
  objPin(fd, abs);
}

/**
 * Removes a pin (unlink). The pinned object lives on while other references (fds, links,
 * a registration) hold it. Refuses paths that are not on bpffs, so it never deletes an
 * ordinary file.
 *
 * @throws {BpfError} ENOENT when nothing is pinned at `path`; EINVAL when it is not on bpffs.
 */
export function unpin(path: string): void {
  const abs = resolve(path);
  if (!exists(abs)) throw new BpfError(`no pin at ${abs}`, { code: 'ENOENT', hint: 'check the path (ls the bpffs directory)' });
  if (!isBpffs(abs)) throw notBpffs(abs, 'EINVAL', `${abs} is not on a BPF filesystem, so it is not a pin; refusing to delete it`);
  try {
    unlinkSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BpfError(`cannot unpin ${abs}: ${(err as Error).message}`, { code, cause: err });
  }
}

/** What a pin holds: a BPF link or map and its kernel id (as `bpftool link/map show` lists it). */
export interface PinnedObject {
  kind: 'link' | 'map';
  id: number;
}

/**
 * What is pinned at `path` (BPF_OBJ_GET, then the object's info), e.g. to tell which pin
 * holds a registration that `listStructOps()` reports: a link or a map with its kernel id,
 * or undefined for another kind of object (a program). Opens the object only for the call.
 *
 * @throws {BpfError} what BPF_OBJ_GET reports: ENOENT when nothing is pinned at `path`,
 *   EACCES/EPERM when it cannot be opened (no permission, or not on bpffs).
 * @example
 * const pin = pinnedObject('/sys/fs/bpf/cc/mycc'); // { kind: 'link', id: 12 }
 */
export function pinnedObject(path: string): PinnedObject | undefined {
  const fd = objGet(resolve(path));
  try {
    // The fd's anonymous inode names the object type (as for bpftool).
    const inode = readlinkSync(`/proc/self/fd/${fd.raw}`);
    if (inode === 'anon_inode:bpf-link') return { kind: 'link', id: linkGetInfo(fd).id };
    if (inode === 'anon_inode:bpf-map') return { kind: 'map', id: mapGetInfo(fd).id };
    return undefined;
  } finally {
    fd.close();
  }
}

function notBpffs(path: string, code: string, why: string, cause?: unknown): BpfError {
  return new BpfError(`cannot use ${path} for pins: ${why}`, { code, hint: NOT_BPFFS_HINT, cause });
}

/** Whether `path` exists; a path we may not look at is an error that says so (EACCES), not "absent". */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw accessDenied(path, code, err);
    return false;
  }
}

/** @internal `path` cannot be looked at (a directory on its way is not searchable for this user). */
export function accessDenied(path: string, code: string, cause: unknown): BpfError {
  return new BpfError(`cannot access ${path}: ${code} (permission denied)`, {
    code, cause, hint: 'pins and their directories (e.g. /sys/fs/bpf, mode 0700) are usually for root only: run as root',
  });
}

function nearestExisting(abs: string): string {
  let p = abs;
  while (!exists(p)) {
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  return p;
}

// One level at a time: Node 20's recursive mkdirSync loops forever where a parent cannot be
// created (e.g. below /proc, which answers ENOENT).
function mkdirs(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; !exists(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'EEXIST') continue;
      throw notBpffs(dir, code, `cannot create ${p}: ${(err as Error).message}`, err);
    }
  }
}
