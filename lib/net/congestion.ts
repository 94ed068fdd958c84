// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import type { Socket } from 'node:net';
import { BpfError } from '../errors';
import { getsockopt, setsockopt } from '../sys';

/** IPPROTO_TCP and TCP_CONGESTION from linux/in.h and linux/tcp.h. */
const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;
/** TCP_CA_NAME_MAX: algorithm names are at most 15 chars + NUL. */
const TCP_CA_NAME_MAX = 16;

function socketFd(socket: Socket): number {
  // Node keeps the OS descriptor on the libuv handle; it is only valid once connected.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new BpfError('socket has no file descriptor yet; call this after "connect" (or on an accepted socket)', {
      code: 'EBADF',
    });
  }
  return fd;
}

/**
 * Selects the TCP congestion control algorithm of a connected socket
 * (setsockopt TCP_CONGESTION). Use the algorithm's name, e.g. the `name` member of a
 * registered struct tcp_congestion_ops.
 *
 * @throws {BpfError} ENOENT when no algorithm of that name is registered; EPERM when it is
 *   not in net.ipv4.tcp_allowed_congestion_control and the caller lacks CAP_NET_ADMIN.
 */
export function setCongestionControl(socket: Socket, algorithm: string): void {
  if (algorithm.length === 0 || algorithm.length >= TCP_CA_NAME_MAX) {
    throw new RangeError(`Expected a congestion control name of 1-15 characters, got ${JSON.stringify(algorithm)}`);
  }
  try {
    setsockopt(socketFd(socket), IPPROTO_TCP, TCP_CONGESTION, Buffer.from(algorithm, 'latin1'));
  } catch (err) {
    if (err instanceof BpfError && err.code === 'ENOENT') {
      (err as { hint?: string }).hint = `no TCP congestion control named ${algorithm} is registered`;
    }
    throw err;
  }
}

/** The TCP congestion control algorithm a socket uses (getsockopt TCP_CONGESTION). */
export function getCongestionControl(socket: Socket): string {
  const buf = getsockopt(socketFd(socket), IPPROTO_TCP, TCP_CONGESTION, TCP_CA_NAME_MAX);
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('latin1');
}
