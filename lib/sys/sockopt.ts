// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Socket options for selecting a TCP congestion controller (TCP_CONGESTION). Not a bpf()
 * command, but the same addon issues it; the addon refuses every other option.
 */
import { sysGetsockopt, sysSetsockopt } from './native';

/**
 * setsockopt(fd, level, optname, value). Only IPPROTO_TCP (6) / TCP_CONGESTION (13).
 * @throws {BpfError} ENOENT for an unknown algorithm, EINVAL for another option.
 */
export function setsockopt(fd: number, level: number, optname: number, value: Buffer): void {
  sysSetsockopt(fd, level, optname, value);
}

/**
 * getsockopt(fd, level, optname) into a `size`-byte buffer (at most 64). Only
 * IPPROTO_TCP (6) / TCP_CONGESTION (13).
 * @returns the bytes the kernel wrote.
 * @throws {BpfError} with the errno of getsockopt.
 */
export function getsockopt(fd: number, level: number, optname: number, size: number): Buffer {
  return sysGetsockopt(fd, level, optname, size);
}
