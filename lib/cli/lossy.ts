import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TrafficResult } from './traffic';

const run = promisify(execFile);
const TRAFFIC_MODULE = join(__dirname, 'traffic.js');
let counter = 0;

export interface LossyOptions {
  algorithm: string;
  bytes?: number;
  durationMs?: number;
  /** tbf rate of the namespace's loopback (default 200mbit): a small queue that drops. */
  rate?: string;
}

/** Whether `ip` and `tc` are there to build a private lossy loopback (root only). */
export function canMakeLossyLoopback(): boolean {
  if (process.geteuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves TCP data over the loopback of a throwaway network namespace whose `lo` has a small
 * token-bucket queue, so the sender meets real losses and the congestion controller's loss
 * paths (ssthresh, recovery) run. The host's own `lo` is never touched; the namespace is
 * always deleted. The sender runs in a child process entered into the namespace; the TCP
 * congestion control registry is global, so it sees the algorithm registered here.
 */
export async function lossyLoopbackTraffic(options: LossyOptions): Promise<TrafficResult> {
  const ns = `struct-ops-${process.pid}-${counter++}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // tbf drops any packet larger than its burst: use an Ethernet-sized MTU on this lo.
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up', 'mtu', '1500']);
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf',
      'rate', options.rate ?? '200mbit', 'burst', '32kb', 'latency', '1ms']);
    const script = `require(${JSON.stringify(TRAFFIC_MODULE)}).loopbackTraffic(JSON.parse(process.argv[1]))` +
      '.then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })';
    const spec = JSON.stringify({ algorithm: options.algorithm, bytes: options.bytes, durationMs: options.durationMs });
    const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script, spec], { timeout: 120000 });
    return JSON.parse(stdout) as TrafficResult;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
