import { loopbackTraffic, TrafficResult } from '../../lib/demo/traffic';

/** Pushes `total` bytes over loopback TCP with `algorithm` on the sending socket. */
export function pushTraffic(algorithm: string, total: number, timeoutMs = 30000): Promise<TrafficResult> {
  return loopbackTraffic({ algorithm, bytes: total, timeoutMs });
}
