// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * zlib's CRC-32 computed by the addon (native/crc32.cc): node:zlib, the other source of it,
 * loads node:stream and about 20 modules with it, some 2 ms of every command that reads
 * kernel BTF (the BTF index cache checks its file with it; docs/startup.md).
 */
import { nativeAddon } from './native';

interface Crc32Addon {
  crc32(data: Uint8Array, value?: number): number;
}

/** CRC-32 of `data` (IEEE, as zlib and gzip), continuing from `value` like zlib.crc32. */
export function crc32(data: Uint8Array, value?: number): number {
  return (nativeAddon() as unknown as Crc32Addon).crc32(data, value);
}
