// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * zlib's CRC-32 for the kernel BTF index cache, with node:zlib loaded on the first call:
 * zlib pulls in node:stream, about 20 modules that `require('struct-ops')` should not load
 * (docs/startup.md).
 */
type Crc32 = (data: Uint8Array, value?: number) => number;

let impl: Crc32 | undefined;

/** CRC-32 of `data`, continuing from `value` (zlib.crc32). */
export function crc32(data: Uint8Array, value?: number): number {
  impl ??= (require('node:zlib') as typeof import('node:zlib')).crc32;
  return impl(data, value);
}
