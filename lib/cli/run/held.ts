/**
 * The registrations a run holds, and how it notices that one ended without it: a link
 * whose map is gone (another process ran BPF_LINK_DETACH, or the subsystem detached it, as
 * a module going away does), a legacy map no longer INUSE (someone deleted its element).
 */
import type { BpfLink, StructOpsMap } from '../../index';
import type { Registration } from '../view/model';

/** Kernel `enum bpf_struct_ops_state` (kernel/bpf/bpf_struct_ops.c). */
const BPF_STRUCT_OPS_STATE_INUSE = 1;
/** Offset of `state` in the value's `struct bpf_struct_ops_common_value` (after refcnt). */
const STATE_OFFSET = 4;

export interface Held {
  map: StructOpsMap;
  link: BpfLink;
  registration: Registration;
}

/** How a registration ended underneath the run. */
export interface Vanished {
  reason: 'detached' | 'unregistered';
  message: string;
}

/**
 * Checks one registration with one bpf() call: BPF_OBJ_GET_INFO_BY_FD on the link
 * (struct_ops.map_id is 0 once detached), or BPF_MAP_LOOKUP_ELEM on a legacy map (its state).
 */
export function checkHeld(h: Held): Vanished | undefined {
  const r = h.registration;
  if (r.linkId !== undefined) {
    if (h.link.info().structOpsMapId !== 0) return undefined;
    return {
      reason: 'detached',
      message: `link ${r.linkId} of ${r.map} was detached underneath (by another process, e.g. ` +
        '`bpftool link detach`, or by the kernel subsystem): it points at no map any more',
    };
  }
  const value = h.map.lookup(0);
  const state = value && value.length >= STATE_OFFSET + 4 ? value.readUInt32LE(STATE_OFFSET) : -1;
  if (state === BPF_STRUCT_OPS_STATE_INUSE) return undefined;
  return {
    reason: 'unregistered',
    message: `${r.map} (map ${r.mapId}) was unregistered underneath by another process ` +
      '(its element was deleted, e.g. by `struct-ops unregister`)',
  };
}

/**
 * Ends a registration this run holds. Links are detached (BPF_LINK_DETACH), so the
 * registration ends even if another process holds an fd of the link, then closed.
 * Returns what is left registered (for the exit status), or undefined when nothing is.
 */
export function release(h: Held): string | undefined {
  const r = h.registration;
  if (r.linkId !== undefined) {
    try {
      h.link.detach();
      if (h.link.info().structOpsMapId !== 0) return `link ${r.linkId} of ${r.map} is still attached`;
    } finally {
      h.link.close();
    }
    return undefined;
  }
  h.link.close(); // BPF_MAP_DELETE_ELEM (false when someone already did)
  const value = h.map.lookup(0);
  const state = value ? value.readUInt32LE(STATE_OFFSET) : -1;
  return state === BPF_STRUCT_OPS_STATE_INUSE ? `${r.map} (map ${r.mapId}) is still registered` : undefined;
}
