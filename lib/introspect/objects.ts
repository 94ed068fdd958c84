// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Walks the kernel's BPF objects by id (the way bpftool does): GET_NEXT_ID, GET_FD_BY_ID,
 * OBJ_GET_INFO_BY_FD. Objects can vanish between two of those calls, so an ENOENT while
 * opening one skips it instead of failing the whole walk. Every fd opened here is closed
 * before the walk moves on.
 */
import { isBpfError } from '../errors';
import {
  BpfLinkType, BpfMapType, Fd, type MapInfo, linkGetFdById, linkGetInfo, linkGetNextId, mapGetFdById, mapGetInfo,
  mapGetNextId,
} from '../sys';

/**
 * Opens an object by id, runs `fn` on its fd and closes it.
 * @returns fn's result, or undefined when the object no longer exists (ENOENT).
 */
export function withFdById<T>(open: (id: number) => Fd, id: number, fn: (fd: Fd) => T): T | undefined {
  let fd: Fd;
  try {
    fd = open(id);
  } catch (err) {
    if (isBpfError(err) && err.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return fn(fd);
  } finally {
    fd.close();
  }
}

/**
 * Calls `fn` with the fd and info of every BPF_MAP_TYPE_STRUCT_OPS map, in id order.
 * @throws {BpfError} EPERM without CAP_SYS_ADMIN (the id walk is privileged).
 */
export function forEachStructOpsMap(fn: (fd: Fd, info: MapInfo) => void): void {
  for (let id = mapGetNextId(0); id !== null; id = mapGetNextId(id)) {
    withFdById(mapGetFdById, id, (fd) => {
      const info = mapGetInfo(fd);
      if (info.type === BpfMapType.STRUCT_OPS) fn(fd, info);
    });
  }
}

/**
 * Ids of the struct_ops links of every struct_ops map: map id -> link ids, ascending. A
 * detached link (map id 0) belongs to no map and is left out.
 * @throws {BpfError} EPERM without CAP_SYS_ADMIN.
 */
export function structOpsLinksByMap(): Map<number, number[]> {
  const byMap = new Map<number, number[]>();
  for (let id = linkGetNextId(0); id !== null; id = linkGetNextId(id)) {
    const info = withFdById(linkGetFdById, id, (fd) => linkGetInfo(fd));
    if (info === undefined || info.type !== BpfLinkType.STRUCT_OPS || !info.structOpsMapId) continue;
    byMap.set(info.structOpsMapId, [...(byMap.get(info.structOpsMapId) ?? []), info.id]);
  }
  return byMap;
}
