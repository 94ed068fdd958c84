// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { onInterrupt } from './interrupt';
import type { TrafficResult } from './traffic';

/**
 * The sender's module, traffic.ts compiled (dist/demo/traffic.js): found from this module's
 * directory whether that is dist/demo (tsc) or dist/cli, where the demo command's bundle
 * sits (scripts/build-bundles.js).
 */
const TRAFFIC_MODULE = join(__dirname, '..', 'demo', 'traffic.js');
let counter = 0;

export interface LossyOptions {
  algorithm: string;
  bytes?: number;
  durationMs?: number;
  /** tbf rate of the namespace's loopback (default 200mbit): a small queue that drops. */
  rate?: string;
  /** Called once the namespace exists, with its name (the demo prints it; tests look for it). */
  onNamespace?: (name: string) => void;
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
 * always deleted, also when the process is interrupted (SIGINT/SIGTERM/SIGHUP: the sender
 * is killed and the namespace deleted before the signal ends the process). The sender runs
 * in a child process entered into the namespace; the TCP congestion control registry is
 * global, so it sees the algorithm registered here.
 */
export async function lossyLoopbackTraffic(options: LossyOptions): Promise<TrafficResult> {
  const ns = `struct-ops-${process.pid}-${counter++}`;
  let sender: ReturnType<typeof spawn> | undefined;
  let created = false;
  const cleanup = (): void => {
    if (sender && sender.exitCode === null && sender.signalCode === null) sender.kill('SIGKILL');
    if (!created) return;
    created = false;
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  // Before the namespace exists, so no moment leaves it behind.
  const stopWatching = onInterrupt(cleanup);
  try {
    // Signal handlers run between JS turns, never inside this synchronous call: once it
    // returns, the handler sees `created` and deletes the namespace.
    execFileSync('ip', ['netns', 'add', ns]);
    created = true;
    options.onNamespace?.(ns);
    // tbf drops any packet larger than its burst: use an Ethernet-sized MTU on this lo.
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up', 'mtu', '1500']);
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf',
      'rate', options.rate ?? '200mbit', 'burst', '32kb', 'latency', '1ms']);
    const script = `require(${JSON.stringify(TRAFFIC_MODULE)}).loopbackTraffic(JSON.parse(process.argv[1]))` +
      '.then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })';
    const spec = JSON.stringify({ algorithm: options.algorithm, bytes: options.bytes, durationMs: options.durationMs });
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, spec], { stdio: ['ignore', 'pipe', 'pipe'] });
      sender = child;
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`the sender in namespace ${ns} failed (${code ?? signal}): ${err.trim()}`));
      });
    });
    return JSON.parse(stdout) as TrafficResult;
  } finally {
    cleanup();
    stopWatching();
  }
}
