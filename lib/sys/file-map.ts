// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Read-only mappings of a file, copied out a range at a time (native/file_map.cc). Made for
 * /sys/kernel/btf/vmlinux: sysfs serves it one 4 KiB page per read(2), while Linux 6.16+
 * lets it be mmapped, so one memcpy replaces over a thousand syscalls. The mapping itself
 * never reaches JavaScript (a write to it would fault); callers get copies. Only for files
 * nobody truncates while mapped (sysfs, or a test's own copy): reading a page past a shrunk
 * end would raise SIGBUS.
 */
import { nativeAddon } from './native';

declare const fileMapBrand: unique symbol;
type NativeFileMap = { readonly [fileMapBrand]: true };

interface FileMapAddon {
  fileMapOpen(path: string, length: number): NativeFileMap | undefined;
  fileMapCopy(handle: NativeFileMap, dst: Uint8Array, dstOffset: number, srcOffset: number, length: number): void;
  fileMapClose(handle: NativeFileMap): void;
}

/** A file mapped read-only: its bytes are copied into the caller's buffers on request. */
export interface FileMap {
  readonly length: number;
  /**
   * Copies file bytes [srcOffset, srcOffset + length) to `dst` at `dstOffset`.
   * @throws RangeError when either range lies outside the file or `dst`
   */
  copy(dst: Uint8Array, dstOffset: number, srcOffset: number, length: number): void;
  /** Unmaps the file (idempotent); the garbage collector does it otherwise. */
  close(): void;
}

/**
 * Maps `path` read-only when it is a regular file of exactly `length` bytes and the kernel
 * lets it be mapped; undefined otherwise (older kernels, no addon for this platform), so
 * callers fall back to read(2).
 */
export function mapFileReadOnly(path: string, length: number): FileMap | undefined {
  let addon: FileMapAddon;
  try {
    addon = nativeAddon() as unknown as FileMapAddon;
  } catch {
    return undefined;
  }
  const handle = addon.fileMapOpen(path, length);
  if (handle === undefined) return undefined;
  return {
    length,
    copy: (dst, dstOffset, srcOffset, n) => addon.fileMapCopy(handle, dst, dstOffset, srcOffset, n),
    close: () => addon.fileMapClose(handle),
  };
}
