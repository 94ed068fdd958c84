import { BpfMapType, mapDeleteElem, mapGetFdById, mapGetInfo, mapGetNextId } from '../../lib/sys';

/**
 * Safety net for afterAll: unregisters any legacy struct_ops map whose name starts with one
 * of `prefixes` that a failed test may have left registered. Returns the names it removed.
 */
export function unregisterLeftovers(prefixes: string[]): string[] {
  const removed: string[] = [];
  for (let id = mapGetNextId(0); id !== null; id = mapGetNextId(id)) {
    let fd;
    try {
      fd = mapGetFdById(id);
    } catch {
      continue;
    }
    try {
      const info = mapGetInfo(fd);
      if (info.type !== BpfMapType.STRUCT_OPS || !prefixes.some((p) => info.name.startsWith(p))) continue;
      try {
        mapDeleteElem(fd, Buffer.alloc(4));
        removed.push(info.name);
      } catch {
        // not registered (INIT) or a link map: nothing to undo here
      }
    } finally {
      fd.close();
    }
  }
  return removed;
}
