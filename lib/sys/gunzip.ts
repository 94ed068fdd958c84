// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * gzip inflated by the addon (native/gunzip.cc) with the zlib Node exports to addons:
 * node:zlib would load node:stream and about 20 modules and run its wrapper as cold
 * JavaScript, some 4 ms of a first load of an object with kconfig externs
 * (/proc/config.gz; docs/startup.md).
 */
import { nativeAddon } from './native';

interface GunzipAddon {
  gunzip(data: Uint8Array, maxBytes: number): Buffer;
}

/**
 * The bytes of the one gzip member `data` holds. Throws an Error saying why for anything
 * else: a bad header or CRC, truncated or trailing data, or more than `maxBytes` of output.
 */
export function gunzip(data: Uint8Array, maxBytes: number): Buffer {
  return (nativeAddon() as unknown as GunzipAddon).gunzip(data, maxBytes);
}
