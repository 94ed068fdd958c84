// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Opening struct_ops links that another process (or an earlier run) pinned or created. */
import { readlinkSync, statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BpfError } from '../errors';
import { Fd, linkGetFdById, objGet } from '../sys';
import { BpfLink } from './link';
import { accessDenied, isBpffs } from '../pin';

/**
 * Opens the struct_ops link pinned at `path` (BPF_OBJ_GET), e.g. one pinned by
 * `struct-ops register --pin-dir` or by another process. The handle can `update()` the
 * link to a map of this process, `detach()` it, or be closed (the pin keeps the link).
 *
 * @throws {BpfError} ENOENT when nothing is pinned there; EINVAL when the pin is not a
 *   struct_ops link (e.g. a pinned map) or the path is not on bpffs.
 * @example
 * const link = openPinnedLink('/sys/fs/bpf/cc/mycc');
 * link.update(newObj.structOps.get('mycc')!);
 * link.close();
 */
export function openPinnedLink(path: string): BpfLink {
  const abs = resolve(path);
  let fd: Fd;
  try {
    fd = objGet(abs);
  } catch (err) {
    // The kernel answers EACCES both for a file off bpffs and for a path this user may not
    // reach; only statfs tells which (isBpffs alone says false for both).
    if (err instanceof BpfError && (err.code === 'EACCES' || err.code === 'EPERM') && !statfsAllowed(abs)) {
      throw err.code === 'EACCES' ? accessDenied(abs, 'EACCES', err) : err;
    }
    if (err instanceof BpfError && err.code !== 'ENOENT' && !isBpffs(abs)) {
      throw new BpfError(`${abs} is not a pin: it is not on a BPF filesystem`, {
        code: 'EINVAL', cause: err, hint: 'pins live on bpffs (e.g. under /sys/fs/bpf)',
      });
    }
    if (err instanceof BpfError && err.code === 'ENOENT') {
      throw new BpfError(`nothing is pinned at ${abs}`, { code: 'ENOENT', command: err.command, errno: err.errno, cause: err,
        hint: 'check the path; struct-ops register --pin-dir DIR pins each link at DIR/<map name>' });
    }
    throw err;
  }
  return wrap(fd, abs);
}

/**
 * Opens an existing struct_ops link by its kernel id (BPF_LINK_GET_FD_BY_ID), e.g. from
 * `bpftool link show`.
 *
 * @throws {BpfError} ENOENT when no such link exists; EINVAL when it is another link type.
 */
export function openLinkById(id: number): BpfLink {
  return wrap(linkGetFdById(id), `link id ${id}`);
}

/** False when statfs(path) is refused for permission (the path cannot even be looked at). */
function statfsAllowed(path: string): boolean {
  try {
    statfsSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'EACCES' && code !== 'EPERM';
  }
}

function wrap(fd: Fd, where: string): BpfLink {
  try {
    const kind = readlinkSync(`/proc/self/fd/${fd.raw}`);
    // OBJ_GET hands back whatever was pinned; only link fds carry link info.
    if (kind !== 'anon_inode:bpf-link') {
      throw new BpfError(`${where} is not a BPF link (${kind.replace('anon_inode:', '')})`, {
        code: 'EINVAL', hint: 'pass the pin of a struct_ops link; legacy struct_ops maps are unregistered by name or id',
      });
    }
    return BpfLink.fromFd(fd, where);
  } catch (err) {
    fd.close();
    throw err;
  }
}
