// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { readFileSync } from 'node:fs';
import { BpfError, demoObjectPath, openObject } from '../index';
import { drawChart, type ChartOptions } from './chart';
import { CWND_RING, CwndFeed, type RingCounts } from './cwnd-feed';
import { onInterrupt } from './interrupt';
import { LiveChart, type LiveBlock } from './live-chart';
import { canMakeLossyLoopback, lossyLoopbackTraffic } from './lossy';
import { loopbackTraffic } from './traffic';

/** The congestion controller shipped with the package (lib/demo/demo_cc.bpf.c). */
export const DEMO_OBJECT = demoObjectPath();
const DEMO_MAP = 'so_demo';
/** The algorithm name the demo registers unless told another (`--name`). */
export const DEMO_ALGORITHM = 'so_demo';
const COUNTERS = ['init_calls', 'ssthresh_calls', 'cong_avoid_calls', 'undo_cwnd_calls', 'set_state_calls', 'cwnd_event_calls'];
const CHART: ChartOptions = { yLabel: 'cwnd (segments)', xLabel: 'ms' };
/** Redraws of the live chart: four a second, like the transfer's progress ticks. */
const LIVE_INTERVAL_MS = 250;
/** How long the last records of a finished transfer may take to show up in the ring. */
const SETTLE_MS = 2000;

/** A terminal to draw the cwnd chart on live while the transfer runs. */
export interface DemoTerminal {
  /**
   * Opens the block the chart is redrawn in, when the transfer starts (the CLI's live
   * frame, which owns cursor and colour).
   */
  open(): LiveBlock;
  /** Subscribes to size changes; returns the unsubscribe function. */
  onResize?: (redraw: () => void) => () => void;
}

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
  /** Draw the chart live on this terminal; without it the final chart is printed once. */
  live?: DemoTerminal;
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
 * loopback TCP traffic with it while reading the cwnd samples it streams through its ring
 * buffer (drawn live on a terminal), show what it did, unregister, and check the kernel is
 * clean. The link is not pinned, so even a process killed outright leaves no registration;
 * an interrupted lossy run deletes its namespace (lossy.ts). Returns the process exit code.
 */
export async function runDemo({ seconds, name = DEMO_ALGORITHM, out, err, emit, live, lossy = canMakeLossyLoopback() }: DemoOptions): Promise<number> {
  if (process.geteuid?.() !== 0) {
    throw new BpfError('must run as root: it loads BPF programs and registers a TCP congestion control', {
      code: 'EPERM', hint: 'sudo npm start (or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)',
    });
  }
  const obj = await openObject(DEMO_OBJECT);
  let feed: CwndFeed | undefined;
  let chart: LiveChart | undefined;
  const stopWatching: (() => void)[] = [];
  try {
    const map = obj.structOps.get(DEMO_MAP)!;
    (map.value as { name: string }).name = name;
    await obj.load();
    for (const w of obj.warnings) err(`warning: ${w}`);
    // Reading before registering: no record the program writes is missed.
    feed = new CwndFeed(obj);
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
      } else {
        out(`Pushing loopback TCP traffic with ${name} for ${seconds} s ...`);
      }
      if (live) chart = startLiveChart(live, feed, stopWatching);
      result = lossy
        ? await lossyLoopbackTraffic({ algorithm: name, durationMs: seconds * 1000 })
        : await loopbackTraffic({ algorithm: name, durationMs: seconds * 1000, timeoutMs: seconds * 1000 + 15000 });
    } finally {
      link.close();
    }
    // Unregistered: the samples still on their way are the last ones.
    const counts = await feed.settle(() => ringCounts(obj.readGlobals('.bss')), SETTLE_MS);
    const points = feed.points();
    if (chart) chart.finish(points);
    else for (const line of drawChart(points, CHART)) out(line);
    if (points.length !== counts.taken - counts.reserveFailures) {
      err(`warning: ${points.length} cwnd records read from ${CWND_RING}, but the program wrote ${counts.taken - counts.reserveFailures}`);
    }
    out('');
    const mib = result.bytes / (1024 * 1024);
    out(`Moved ${mib.toFixed(1)} MiB in ${(result.elapsedMs / 1000).toFixed(2)} s ` +
      `(${((result.bytes * 8) / (result.elapsedMs / 1000) / 1e6).toFixed(0)} Mbit/s); the socket reported algorithm "${result.algorithm}"`);
    out(`Streamed ${points.length} cwnd samples through ring buffer ${CWND_RING} during the transfer ` +
      `(the program took ${counts.taken}; ${counts.reserveFailures} found the ring full)`);

    const bss = obj.readGlobals('.bss');
    const calls = Object.fromEntries(COUNTERS.map((c) => [c.replace(/_calls$/, ''), Number(bss[c])]));
    out('');
    out('Callbacks the kernel made:');
    for (const [callback, count] of Object.entries(calls)) out(`  ${callback.padEnd(12)} ${String(count).padStart(12)}`);
    out('');
    if (availableCongestionControls().includes(name)) {
      throw new BpfError(`${name} is still registered after the link was closed`, { code: 'EBUSY' });
    }
    out(`Unregistered: ${name} is gone from tcp_available_congestion_control; the kernel is clean.`);
    emit?.({
      algorithm: name, map_id: mapId, link_id: linkId, lossy, bytes: result.bytes, elapsed_ms: result.elapsedMs,
      socket_algorithm: result.algorithm, callbacks: calls,
      cwnd_ring: { map: CWND_RING, samples_taken: counts.taken, reserve_failures: counts.reserveFailures },
      cwnd_samples: feed.samples().map((s, i) => ({ ms: points[i].x, cwnd: s.cwnd, ssthresh: s.ssthresh })),
      unregistered: true,
    });
    return 0;
  } finally {
    chart?.close();
    for (const stop of stopWatching.splice(0)) stop();
    feed?.close();
    obj.close();
  }
}

/** The live chart of `feed` on `live`, its cursor restored even when a signal ends the process. */
function startLiveChart(live: DemoTerminal, feed: CwndFeed, stopWatching: (() => void)[]): LiveChart {
  const started = Date.now();
  const chart = new LiveChart(live.open(), {
    points: () => feed.points(),
    version: () => feed.count,
    status: () => `live · ${((Date.now() - started) / 1000).toFixed(1)} s · ${feed.count} samples`,
  }, { intervalMs: LIVE_INTERVAL_MS, chart: CHART });
  stopWatching.push(onInterrupt(() => chart.close()));
  if (live.onResize) stopWatching.push(live.onResize(() => chart.resized()));
  return chart;
}

/** The program's own count of the records it asked of the ring (demo_cc.bpf.c). */
function ringCounts(bss: Record<string, unknown>): RingCounts {
  return { taken: Number(bss.sample_count), reserveFailures: Number(bss.sample_drops) };
}

/** TCP congestion controls the kernel offers right now (registered ones included). */
export function availableCongestionControls(): string[] {
  return readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
}
