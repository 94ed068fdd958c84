import { readFileSync } from 'node:fs';
import { BpfError } from '../errors';
import { demoObjectPath } from '../demo-object';
import { openObject } from '../object';
import { drawChart, Point } from './chart';
import { canMakeLossyLoopback, lossyLoopbackTraffic } from './lossy';
import { loopbackTraffic } from './traffic';

/** The congestion controller shipped with the package (lib/cli/demo/demo_cc.bpf.c). */
export const DEMO_OBJECT = demoObjectPath();
const DEMO_MAP = 'so_demo';
/** The algorithm name the demo registers unless told another (`--name`). */
export const DEMO_ALGORITHM = 'so_demo';
const COUNTERS = ['init_calls', 'ssthresh_calls', 'cong_avoid_calls', 'undo_cwnd_calls', 'set_state_calls', 'cwnd_event_calls'];

export interface DemoOptions {
  seconds: number;
  /** TCP congestion control name to register (default so_demo); see isAlgorithmName. */
  name?: string;
  /** Send through a private lossy loopback (default when root with ip/tc) so loss handling runs. */
  lossy?: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Receives the run's result (`demo --json`), snake_case like every JSON output. */
  emit?: (result: unknown) => void;
}

/**
 * A name the kernel and tcp_available_congestion_control take: 1-15 characters
 * (TCP_CA_NAME_MAX is 16 with the NUL), no spaces (the list is space-separated).
 */
export function isAlgorithmName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name);
}

/**
 * The main job: load the bundled congestion controller, register it through a link, move
 * loopback TCP traffic with it, show what it did, unregister, and check the kernel is clean.
 * The link is not pinned, so even a process killed outright leaves no registration; an
 * interrupted lossy run deletes its namespace (lossy.ts). Returns the process exit code.
 */
export async function runDemo({ seconds, name = DEMO_ALGORITHM, out, err, emit, lossy = canMakeLossyLoopback() }: DemoOptions): Promise<number> {
  if (process.geteuid?.() !== 0) {
    throw new BpfError('must run as root: it loads BPF programs and registers a TCP congestion control', {
      code: 'EPERM', hint: 'sudo npm start (or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)',
    });
  }
  const obj = await openObject(DEMO_OBJECT);
  try {
    const map = obj.structOps.get(DEMO_MAP)!;
    (map.value as { name: string }).name = name;
    await obj.load();
    for (const w of obj.warnings) err(`warning: ${w}`);
    const link = await map.attach();
    const mapId = map.id;
    const linkId = link.id;
    out(`Registered ${map.kernelTypeName} ${name}: map id ${mapId}, link id ${linkId}`);
    out(`Programs: ${[...map.programs].map(([member, p]) => `${member}=${p.name}#${p.id}`).join(' ')}`);
    let result;
    try {
      if (lossy) {
        out(`Pushing TCP traffic with ${name} for ${seconds} s over a private loopback with a ` +
          '200 Mbit/s token-bucket queue (a throwaway network namespace), so the controller meets losses ...');
        result = await lossyLoopbackTraffic({ algorithm: name, durationMs: seconds * 1000 });
      } else {
        out(`Pushing loopback TCP traffic with ${name} for ${seconds} s ...`);
        result = await loopbackTraffic({ algorithm: name, durationMs: seconds * 1000, timeoutMs: seconds * 1000 + 15000 });
      }
    } finally {
      link.close();
    }
    const mib = result.bytes / (1024 * 1024);
    out(`Moved ${mib.toFixed(1)} MiB in ${(result.elapsedMs / 1000).toFixed(2)} s ` +
      `(${((result.bytes * 8) / (result.elapsedMs / 1000) / 1e6).toFixed(0)} Mbit/s); the socket reported algorithm "${result.algorithm}"`);

    const bss = obj.readGlobals('.bss');
    const calls = Object.fromEntries(COUNTERS.map((c) => [c.replace(/_calls$/, ''), Number(bss[c])]));
    out('');
    out('Callbacks the kernel made:');
    for (const [callback, count] of Object.entries(calls)) out(`  ${callback.padEnd(12)} ${String(count).padStart(12)}`);
    out('');
    const points = samples(bss);
    for (const line of drawChart(points, { yLabel: 'cwnd (segments)', xLabel: 'ms' })) out(line);
    out('');
    if (availableCongestionControls().includes(name)) {
      throw new BpfError(`${name} is still registered after the link was closed`, { code: 'EBUSY' });
    }
    out(`Unregistered: ${name} is gone from tcp_available_congestion_control; the kernel is clean.`);
    emit?.({
      algorithm: name, map_id: mapId, link_id: linkId, lossy, bytes: result.bytes, elapsed_ms: result.elapsedMs,
      socket_algorithm: result.algorithm, callbacks: calls, cwnd_samples: points.map((p) => ({ ms: p.x, cwnd: p.y })), unregistered: true,
    });
    return 0;
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
