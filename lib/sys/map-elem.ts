// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM and BPF_MAP_GET_NEXT_KEY:
 * four commands over one attr struct. The addon checks key and value Buffers against the
 * map's own key_size/value_size (per-CPU aware) before the syscall.
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, ptr, u64 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';
import { isBpfError } from '../errors';

/**
 * Key 0 as a u32: the one key of a struct_ops map and of every single-entry array (global
 * data). Shared and never written: the kernel only reads keys.
 */
export const KEY_ZERO: Buffer = Buffer.alloc(4);

interface ElemAttr {
  mapFd: FdLike;
  key?: Buffer | null;
  /** value (lookup/update) or next_key (get-next-key): the same attr slot. */
  value?: Buffer;
  flags?: number;
}

const F = BPF_ATTR.map_elem.fields;
// value and next_key share one member; buffers[] indexes match native/commands.cc.
const layout: AttrLayout<ElemAttr> = {
  size: BPF_ATTR.map_elem.size,
  fields: {
    mapFd: fd(F.map_fd),
    key: ptr(F.key, 0),
    value: ptr(F.value, 1),
    flags: u64(F.flags),
  },
};

function elem(cmd: BpfCmd, attr: ElemAttr): void {
  sysBpf(cmd, encodeAttr(cmd, layout, attr));
}

/**
 * Copies the value stored under `key` into `value` (value_size bytes, or
 * round_up(value_size, 8) x possible CPUs for per-CPU maps).
 * @throws {BpfError} code ENOENT when the key is absent; EINVAL when a Buffer is too short.
 */
export function mapLookupElem(map: FdLike, key: Buffer, value: Buffer, flags = 0): void {
  elem(BpfCmd.MAP_LOOKUP_ELEM, { mapFd: map, key, value, flags });
}

/**
 * Stores `value` under `key`.
 * @param flags {@link BPF_ANY}, {@link BPF_NOEXIST} or {@link BPF_EXIST}.
 * @throws {BpfError} command BPF_MAP_UPDATE_ELEM (EBUSY for a registered struct_ops map).
 */
export function mapUpdateElem(map: FdLike, key: Buffer, value: Buffer, flags = 0): void {
  elem(BpfCmd.MAP_UPDATE_ELEM, { mapFd: map, key, value, flags });
}

/**
 * Deletes `key` (for a struct_ops map: unregisters it).
 * @throws {BpfError} code ENOENT when the key is absent.
 */
export function mapDeleteElem(map: FdLike, key: Buffer): void {
  elem(BpfCmd.MAP_DELETE_ELEM, { mapFd: map, key });
}

/**
 * Writes the key after `key` (or the first key, for `null`) into `nextKey`.
 * @returns false when there is no next key.
 * @throws {BpfError} command BPF_MAP_GET_NEXT_KEY for other failures.
 */
export function mapGetNextKey(map: FdLike, key: Buffer | null, nextKey: Buffer): boolean {
  try {
    elem(BpfCmd.MAP_GET_NEXT_KEY, { mapFd: map, key, value: nextKey });
    return true;
  } catch (e) {
    if (isBpfError(e) && e.code === 'ENOENT') return false;
    throw e;
  }
}
