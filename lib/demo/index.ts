// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The TCP demo (`struct-ops demo`): registers the bundled congestion controller
 * (demo_cc.bpf.c), moves loopback traffic with it (over a lossy private loopback when it
 * can), charts the cwnd samples it streams and checks the kernel is clean afterwards.
 * Built on the public API (lib/index.ts) only; the CLI reaches it through this file.
 */
export { runDemo, isAlgorithmName, availableCongestionControls, DEMO_ALGORITHM } from './demo';
export type { DemoOptions, DemoTerminal } from './demo';
export type { LiveBlock } from './live-chart';
export type { ChartLine, ChartSegment } from './chart';
