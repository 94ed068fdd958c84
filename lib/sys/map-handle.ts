/**
 * Map handles: the addon's private copy of a map fd with the layout facts its bounds checks
 * need (type, key size, value bytes per element, per-CPU aware), learned once when the
 * handle opens. Element and batch commands then cost exactly one bpf() syscall each.
 * Lookup misses are the usual answer, so element calls report errno as a number here and
 * callers decide what is an error.
 */
import { BpfError, errnoName } from '../errors';
import type { FdLike } from './attr';
import { BpfCmd, bpfCmdName } from './constants';
import { Fd } from './fd';
import { nativeAddon } from './native';
import { hintFor, toBpfError } from './syscall-error';

declare const handleBrand: unique symbol;
/** An opaque handle from the addon. */
export type NativeMapHandle = { readonly [handleBrand]: true };

/** What {@link mapOpen} learned about the map (BPF_OBJ_GET_INFO_BY_FD, once). */
export interface MapLayout {
  type: number;
  keySize: number;
  valueSize: number;
  /** Bytes one element's value takes in a syscall: round_up(valueSize, 8) x possibleCpus for per-CPU maps. */
  valueBytes: number;
  maxEntries: number;
  mapFlags: number;
  mapExtra: bigint;
  /** CPUs in /sys/devices/system/cpu/possible (read once per process). */
  possibleCpus: number;
  /** sysconf(_SC_PAGESIZE): the unit of ring buffer and arena mappings. */
  pageSize: number;
}

interface MapAddon {
  mapOpen(fd: number): MapLayout & { handle: NativeMapHandle };
  mapElem(h: NativeMapHandle, cmd: number, key: Buffer | null, value: Buffer | null, flags: number): number;
  mapBatch(
    h: NativeMapHandle, cmd: number, inBatch: Buffer | null, outBatch: Buffer | null,
    keys: Buffer, values: Buffer | null, count: number, elemFlags: number,
  ): [number, number];
  mapClose(h: NativeMapHandle): void;
  pidfdOpen(pid: number): number;
}

/** @internal The addon's map-handle functions (same addon as sysBpf). */
export function mapAddon<T = MapAddon>(): T {
  return nativeAddon() as unknown as T;
}

function fdNumber(fd: FdLike): number {
  return typeof fd === 'number' ? fd : fd.raw;
}

/** Throws what the addon threw for `cmd`, as a BpfError. */
export function rethrow(e: unknown, cmd: number): never {
  throw toBpfError(e, cmd);
}

/** A BpfError for a negative errno returned by an element or batch call. */
export function errnoError(errno: number, cmd: number): BpfError {
  const code = errnoName(errno);
  const command = bpfCmdName(cmd);
  return new BpfError(`${command}: ${code}`, { code, errno, command, hint: hintFor(cmd, code) });
}

/**
 * pidfd_open(2): an fd naming process `pid`, the key of BPF_MAP_TYPE_TASK_STORAGE maps in
 * user space.
 * @throws {BpfError} ESRCH when no such process exists
 */
export function pidfdOpen(pid: number): Fd {
  try {
    return new Fd(mapAddon().pidfdOpen(pid));
  } catch (e) {
    const { code, errno, message } = e as { code?: string; errno?: number; message?: string };
    throw new BpfError(`pidfd_open(${pid}): ${message ?? String(e)}`, { code: code ?? 'EINVAL', errno, cause: e });
  }
}

/**
 * A map's handle: open it once, use it for every element operation, close it with the map.
 * @throws {BpfError} EBADF when `fd` is not a BPF map.
 */
export class MapHandle {
  readonly layout: MapLayout;
  #h: NativeMapHandle | undefined;

  constructor(fd: FdLike) {
    let opened: MapLayout & { handle: NativeMapHandle };
    try {
      opened = mapAddon().mapOpen(fdNumber(fd));
    } catch (e) {
      rethrow(e, BpfCmd.OBJ_GET_INFO_BY_FD);
    }
    const { handle, ...layout } = opened;
    this.#h = handle;
    this.layout = layout;
  }

  /** @internal The native handle (ring buffer readers and mmaps start from it). */
  get native(): NativeMapHandle {
    if (this.#h === undefined) throw new BpfError('map handle is closed', { code: 'EBADF' });
    return this.#h;
  }

  get closed(): boolean {
    return this.#h === undefined;
  }

  /**
   * One element command (LOOKUP, UPDATE, DELETE, GET_NEXT_KEY, LOOKUP_AND_DELETE).
   * @returns 0, or the errno the kernel answered (positive)
   * @throws {BpfError} when a Buffer does not fit the map (before the syscall)
   */
  elem(cmd: BpfCmd, key: Buffer | null, value: Buffer | null, flags = 0): number {
    let rc: number;
    try {
      rc = mapAddon().mapElem(this.native, cmd, key, value, flags);
    } catch (e) {
      rethrow(e, cmd);
    }
    return -rc;
  }

  /**
   * One batch command; `count` elements at most.
   * @returns errno (0 on success; ENOENT: the map has no more elements) and how many were done
   */
  batch(
    cmd: BpfCmd, inBatch: Buffer | null, outBatch: Buffer | null, keys: Buffer, values: Buffer | null,
    count: number, elemFlags = 0,
  ): { errno: number; count: number } {
    try {
      const [rc, done] = mapAddon().mapBatch(this.native, cmd, inBatch, outBatch, keys, values, count, elemFlags);
      return { errno: -rc, count: done };
    } catch (e) {
      rethrow(e, cmd);
    }
  }

  close(): void {
    if (this.#h === undefined) return;
    mapAddon().mapClose(this.#h);
    this.#h = undefined;
  }
}
