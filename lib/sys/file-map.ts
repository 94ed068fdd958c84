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
  fileMapCheckBlocks(handle: NativeFileMap, sectionStart: number, sectionLength: number, allowedInfo: Uint32Array,
    fixedWords: Uint8Array, wordsPerVlen: Uint8Array, blockStarts: Uint32Array, stride: number, count: number,
    fromBlock: number, toBlock: number): number;
  fileMapClose(handle: NativeFileMap): void;
}

/**
 * How long each record of a BTF type section is, by kind: the tables lib/btf/type-table.ts
 * builds (a record is `fixedWords[kind] + wordsPerVlen[kind] * vlen` words; an info word
 * with bits outside `allowedInfo[kind]` is invalid). 32 entries each, one per kind value.
 */
export interface RecordSizeTables {
  readonly allowedInfo: Uint32Array;
  readonly fixedWords: Uint8Array;
  readonly wordsPerVlen: Uint8Array;
}

/** Where a type section lies in a mapped file, and the index blocks that claim to cover it. */
export interface RecordBlocks {
  /** Byte offset of the type section in the file (a multiple of 4). */
  readonly sectionStart: number;
  /** Its length in bytes (a multiple of 4). */
  readonly sectionLength: number;
  /** Word offset in the section of record `k * stride`, for each block k. */
  readonly blockStarts: Uint32Array;
  readonly stride: number;
  /** Records the blocks claim to hold. */
  readonly count: number;
}

/** A file mapped read-only: its bytes are copied into the caller's buffers on request. */
export interface FileMap {
  readonly length: number;
  /**
   * Copies file bytes [srcOffset, srcOffset + length) to `dst` at `dstOffset`.
   * @throws RangeError when either range lies outside the file or `dst`
   */
  copy(dst: Uint8Array, dstOffset: number, srcOffset: number, length: number): void;
  /**
   * Walks the records of blocks fromBlock..toBlock in the mapping itself and returns the
   * first block that does not start and end where `blocks` says (see native/file_map.cc),
   * or -1 when all of them do.
   * @throws RangeError when the tables, the section or the block range are out of bounds
   */
  checkBlocks(sizes: RecordSizeTables, blocks: RecordBlocks, fromBlock: number, toBlock: number): number;
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
    checkBlocks: (sizes, b, fromBlock, toBlock) =>
      addon.fileMapCheckBlocks(handle, b.sectionStart, b.sectionLength, sizes.allowedInfo, sizes.fixedWords,
        sizes.wordsPerVlen, b.blockStarts, b.stride, b.count, fromBlock, toBlock),
    close: () => addon.fileMapClose(handle),
  };
}
