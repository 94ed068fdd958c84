// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { createServer, connect, AddressInfo, Socket } from 'node:net';
import { getCongestionControl, setCongestionControl } from '../index';

export interface TrafficOptions {
  /** TCP congestion control algorithm for the sending socket. */
  algorithm: string;
  /** Stop after this many bytes were received... */
  bytes?: number;
  /** ...or after this many milliseconds, whichever comes first. */
  durationMs?: number;
  /** Give up (reject) after this long. */
  timeoutMs?: number;
  /** ...or once this returns true (checked as data arrives): lets a caller end on an event. */
  until?: () => boolean;
  /** Called every ~250 ms with the bytes received so far (and the sending socket, once connected). */
  onProgress?: (bytes: number, elapsedMs: number, sender?: Socket) => void;
}

export interface TrafficResult {
  bytes: number;
  elapsedMs: number;
  /** getsockopt(TCP_CONGESTION) on the sending socket, read right after selecting it. */
  algorithm: string;
}

/**
 * Moves data over a loopback TCP connection whose sender uses `algorithm`, selected before
 * the first byte is written. Resolves with what the receiver got.
 */
export function loopbackTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const total = options.bytes ?? Number.POSITIVE_INFINITY;
  const duration = options.durationMs ?? Number.POSITIVE_INFINITY;
  const timeoutMs = options.timeoutMs ?? 60000;
  return new Promise((resolve, reject) => {
    let received = 0;
    let client: Socket | undefined;
    let algorithm = '';
    let done = false;
    const started = Date.now();
    const peers = new Set<Socket>();
    const server = createServer((peer) => {
      peers.add(peer);
      peer.on('close', () => peers.delete(peer));
      peer.on('data', (chunk) => {
        received += chunk.length;
        if (received >= total || Date.now() - started >= duration || options.until?.()) finish();
      });
      peer.on('error', () => undefined);
    });
    const progress = options.onProgress
      ? setInterval(() => options.onProgress!(received, Date.now() - started, client), 250)
      : undefined;
    const timer = setTimeout(() => end(new Error(`loopback transfer timed out after ${received} bytes`)), timeoutMs);
    const end = (err?: Error): void => {
      if (done) return;
      done = true;
      const elapsedMs = Date.now() - started;
      clearTimeout(timer);
      if (progress) clearInterval(progress);
      // Settle only once every socket is closed, so callers (and fd-count checks) never see
      // descriptors of this transfer still open.
      const closing = [client, ...peers].filter((s): s is Socket => s !== undefined && !s.closed)
        .map((s) => new Promise<void>((r) => {
          s.once('close', () => r());
          s.destroy();
        }));
      closing.push(new Promise<void>((r) => server.close(() => r())));
      void Promise.all(closing).then(() => {
        if (err) reject(err);
        else resolve({ bytes: received, elapsedMs, algorithm });
      });
    };
    const finish = (): void => end();
    server.on('error', (err) => end(err));
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      client = connect(port, '127.0.0.1', () => {
        try {
          setCongestionControl(client!, options.algorithm);
          algorithm = getCongestionControl(client!);
        } catch (err) {
          end(err as Error);
          return;
        }
        const chunk = Buffer.alloc(256 * 1024, 0x5a);
        let sent = 0;
        const pump = (): void => {
          while (!done && sent < total) {
            sent += chunk.length;
            if (!client!.write(chunk)) {
              client!.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      client.on('error', (err) => end(err));
    });
  });
}
