import type { TrafficResult } from '../../lib/demo/traffic';

/**
 * Moves `bytes` over a lossy loopback in a throwaway network namespace (see
 * lib/demo/lossy.ts). Runs the BUILT library (dist/) in the namespace's child process.
 */
export async function lossyTraffic(algorithm: string, bytes: number): Promise<TrafficResult> {
  // Loaded from dist/ so the child process (plain node) can require the same module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { lossyLoopbackTraffic } = require('../../dist/demo/lossy.js') as typeof import('../../lib/demo/lossy');
  return lossyLoopbackTraffic({ algorithm, bytes });
}
