import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError } from '../errors';
import { openObject } from '../object';
import { drawChart, Point } from './chart';
import { canMakeLossyLoopback, lossyLoopbackTraffic } from './lossy';
import { loopbackTraffic } from './traffic';

/** The congestion controller shipped with the package (lib/cli/demo/demo_cc.bpf.c). */
export const DEMO_OBJECT = join(__dirname, '..', '..', 'lib', 'cli', 'demo', 'demo_cc.bpf.o');
const DEMO_MAP = 'so_demo';
const DEMO_ALGORITHM = 'so_demo';
const COUNTERS = ['init_calls', 'ssthresh_calls', 'cong_avoid_calls', 'undo_cwnd_calls', 'set_state_calls', 'cwnd_event_calls'];

export interface DemoOptions {
  seconds: number;
  /** Send through a private lossy loopback (default when root with ip/tc) so loss handling runs. */
  lossy?: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The main job: load the bundled congestion controller, register it through a link, move
 * loopback TCP traffic with it, show what it did, unregister, and check the kernel is clean.
 * Returns the process exit code.
 */
export async function runDemo({ seconds, out, err, lossy = canMakeLossyLoopback() }: DemoOptions): Promise<number> {
  if (process.geteuid?.() !== 0) {
    err('struct-ops demo: must run as root: it loads BPF programs and registers a TCP congestion control');
    err('hint: sudo npm start (or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)');
    return 1;
  }
  const obj = await openObject(DEMO_OBJECT);
  try {
    await obj.load();
    for (const w of obj.warnings) err(`warning: ${w}`);
    const map = obj.structOps.get(DEMO_MAP)!;
    const link = await map.attach();
    out(`Registered ${map.kernelTypeName} ${DEMO_ALGORITHM}: map id ${map.id}, link id ${link.id}`);
    out(`Programs: ${[...map.programs].map(([member, p]) => `${member}=${p.name}#${p.id}`).join(' ')}`);
    let result;
    try {
      if (lossy) {
        out(`Pushing TCP traffic with ${DEMO_ALGORITHM} for ${seconds} s over a private loopback with a ` +
          '200 Mbit/s token-bucket queue (a throwaway network namespace), so the controller meets losses ...');
        result = await lossyLoopbackTraffic({ algorithm: DEMO_ALGORITHM, durationMs: seconds * 1000 });
      } else {
        out(`Pushing loopback TCP traffic with ${DEMO_ALGORITHM} for ${seconds} s ...`);
        result = await loopbackTraffic({ algorithm: DEMO_ALGORITHM, durationMs: seconds * 1000, timeoutMs: seconds * 1000 + 15000 });
      }
    } finally {
      link.close();
    }
    const mib = result.bytes / (1024 * 1024);
    out(`Moved ${mib.toFixed(1)} MiB in ${(result.elapsedMs / 1000).toFixed(2)} s ` +
      `(${((result.bytes * 8) / (result.elapsedMs / 1000) / 1e6).toFixed(0)} Mbit/s); the socket reported algorithm "${result.algorithm}"`);

    const bss = obj.readGlobals('.bss');
    out('');
    out('Callbacks the kernel made:');
    for (const name of COUNTERS) out(`  ${name.replace(/_calls$/, '').padEnd(12)} ${String(bss[name]).padStart(12)}`);
    out('');
    for (const line of drawChart(samples(bss), { yLabel: 'cwnd (segments)', xLabel: 'ms' })) out(line);
    out('');
    if (availableCongestionControls().includes(DEMO_ALGORITHM)) {
      err(`struct-ops demo: ${DEMO_ALGORITHM} is still registered after the link was closed`);
      return 1;
    }
    out(`Unregistered: ${DEMO_ALGORITHM} is gone from tcp_available_congestion_control; the kernel is clean.`);
    return 0;
  } catch (e) {
    if (e instanceof BpfError) {
      err(`struct-ops demo: ${e.message}`);
      if (e.hint) err(`hint: ${e.hint}`);
      return 1;
    }
    throw e;
  } finally {
    obj.close();
  }
}

/** The cwnd ring from .bss, oldest first, with x in ms since the first sample. */
function samples(bss: Record<string, unknown>): Point[] {
  const ring = (bss.samples as { ns: bigint; cwnd: number }[]).filter((s) => s.ns > 0n);
  ring.sort((a, b) => (a.ns < b.ns ? -1 : 1));
  if (ring.length === 0) return [];
  const t0 = ring[0].ns;
  return ring.map((s) => ({ x: Number(s.ns - t0) / 1e6, y: s.cwnd }));
}

/** TCP congestion controls the kernel offers right now (registered ones included). */
export function availableCongestionControls(): string[] {
  return readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
}
