import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TrafficResult } from '../../lib/cli/traffic';

const run = promisify(execFile);
const DIST_TRAFFIC = join(__dirname, '..', '..', 'dist', 'cli', 'traffic.js');
let counter = 0;

/**
 * Moves `bytes` over loopback TCP inside a throwaway network namespace whose `lo` has a
 * small token-bucket queue, so the sender sees real losses (and the congestion controller's
 * loss paths run). The host's own `lo` is never touched; the namespace is always deleted.
 * Runs the built library (dist/) in a child process entered into the namespace.
 */
export async function lossyTraffic(algorithm: string, bytes: number): Promise<TrafficResult> {
  const ns = `sotest_${process.pid}_${counter++}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // tbf drops any packet larger than its burst: use an Ethernet-sized MTU on this lo.
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up', 'mtu', '1500']);
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf',
      'rate', '200mbit', 'burst', '32kb', 'latency', '1ms']);
    const script = `require(${JSON.stringify(DIST_TRAFFIC)}).loopbackTraffic({ algorithm: process.argv[1], bytes: Number(process.argv[2]) })` +
      '.then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })';
    const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script, algorithm, String(bytes)], {
      timeout: 120000,
    });
    return JSON.parse(stdout) as TrafficResult;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
