// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Opens a cache directory only when nobody but the running user (or root) can change what
 * it holds, or what its path leads to. Every component from `/` down is opened with
 * O_DIRECTORY|O_NOFOLLOW relative to the one before (through `/proc/self/fd/N/name`,
 * Node's stand-in for openat(2)), and each opened directory is checked by fstat: owned by
 * root or by us (root: by root alone) and writable by nobody else. A world-writable
 * directory is crossed only when it is sticky (`/tmp`), where others cannot rename what we
 * or root own. Files are then opened and renamed relative to the final directory's fd, so a
 * directory swapped for a symlink after the check changes nothing: the fd is the directory
 * that was checked.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
/** The sticky bit (S_ISVTX), which Node's fs.constants does not export. */
const S_ISVTX = 0o1000;

/** A checked directory: its fd, and `path(name)` naming an entry relative to it. */
export interface TrustedDir {
  readonly fd: number;
  /** True when the running user may create files in it (owner, or root). */
  readonly writable: boolean;
  /** A path that reaches `name` inside this very directory, never through a symlink of it. */
  path(name: string): string;
  close(): void;
}

/** The effective uid, or -1 where the platform has none. */
export function effectiveUid(): number {
  return process.geteuid?.() ?? -1;
}

/** Owned by root or by us (root trusts only root), and writable by nobody else. */
export function trustedOwner(st: Pick<Stats, 'uid'>, euid = effectiveUid()): boolean {
  return st.uid === 0 || (euid !== 0 && st.uid === euid);
}

/** A file or final directory we may trust: a trusted owner, no group/other write bit. */
export function trustedEntry(st: Pick<Stats, 'uid' | 'mode'>, euid = effectiveUid()): boolean {
  return trustedOwner(st, euid) && (st.mode & 0o022) === 0;
}

/**
 * Opens `dir` (made absolute) after checking every component, or returns undefined when
 * one is missing (and `create` is false), is not a directory, is a symlink, or is not
 * trusted. With `create`, missing components are made (mode 0755) in checked parents only.
 * Never throws.
 */
export function openTrustedDir(dir: string, create = false): TrustedDir | undefined {
  const euid = effectiveUid();
  const parts = resolve(dir).split('/').filter((p) => p !== '');
  let fd: number;
  try {
    fd = openSync('/', O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    let st = fstatSync(fd);
    for (const part of parts) {
      // A sticky world-writable parent (like /tmp) is crossed; anything else writable by others is not.
      if (!trustedOwner(st, euid) || ((st.mode & 0o022) !== 0 && (st.mode & S_ISVTX) === 0)) return drop(fd);
      const at = `/proc/self/fd/${fd}/${part}`;
      let next: number;
      try {
        next = openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        if (!create || (err as NodeJS.ErrnoException).code !== 'ENOENT') return drop(fd);
        try {
          mkdirSync(at, { mode: 0o755 });
        } catch (mkErr) {
          if ((mkErr as NodeJS.ErrnoException).code !== 'EEXIST') return drop(fd);
        }
        next = openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      }
      closeSync(fd);
      fd = next;
      st = fstatSync(fd);
    }
    if (!st.isDirectory() || !trustedEntry(st, euid)) return drop(fd);
    const own = fd;
    let open = true;
    return {
      fd: own,
      writable: euid === 0 || st.uid === euid,
      path: (name: string) => {
        if (name === '' || name.includes('/') || name === '.' || name === '..') throw new Error(`bad entry name ${name}`);
        return `/proc/self/fd/${own}/${name}`;
      },
      close: () => {
        if (open) closeSync(own);
        open = false;
      },
    };
  } catch {
    return drop(fd);
  }
}

function drop(fd: number): undefined {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
  return undefined;
}
