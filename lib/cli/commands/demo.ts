// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { flag, hasFlag, UsageError } from '../args';
import { Command } from '../command';
import { DEMO_ALGORITHM, isAlgorithmName, runDemo } from '../../demo';
import { LiveFrame } from '../view/frame';
import { colourAllowed } from '../view/style';
import { stdoutTerminal, watchResize } from '../view/terminal';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'load the bundled congestion controller, move loopback traffic with it, show what it did (root)',
  usage: `Usage: struct-ops demo [--seconds N] [--name NAME] [--no-loss] [-j | -p]

Loads the congestion controller bundled with struct-ops, registers it through a BPF link
as NAME (default ${DEMO_ALGORITHM}), pushes TCP traffic with it for N seconds (default 3, at
most 600), charts cwnd over time from the samples the controller streams through its ring
buffer (cwnd_ring) - redrawn live while the transfer runs when stdout is a terminal, drawn
once at the end otherwise - prints how often the kernel called each callback, then
unregisters it and checks that the kernel no longer offers NAME. Needs root. NO_COLOR=1
turns the chart's colour off.

The traffic runs over the loopback of a throwaway network namespace whose queue drops
packets (tbf, 200 Mbit/s), so the chart shows the controller reacting to losses. With
--no-loss (or without ip/tc) it uses the host's plain loopback instead.

--name NAME   the TCP congestion control name (1-15 characters: letters, digits, _ . -),
              so two demos, or a demo next to another so_demo, do not collide (EEXIST)
-j, --json    the result as JSON: {algorithm, map_id, link_id, lossy, bytes, elapsed_ms,
              socket_algorithm, callbacks, cwnd_ring: {map, samples_taken, reserve_failures},
              cwnd_samples: [{ms, cwnd, ssthresh}], unregistered}; cwnd_samples holds every
              record read from the ring (samples_taken - reserve_failures of them)
Ctrl-C or SIGTERM at any moment leaves nothing behind: no namespace, no registration.`,
  flags: [{ name: 'seconds', value: true }, { name: 'name', value: true }, { name: 'no-loss', value: false }],
  async run(args, io) {
    const secondsText = flag(args, 'seconds') ?? '3';
    const seconds = /^[0-9]+(\.[0-9]+)?$/.test(secondsText) ? Number(secondsText) : Number.NaN;
    if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be a number of seconds above 0, at most 600, got ${JSON.stringify(secondsText)}`);
    const name = flag(args, 'name') ?? DEMO_ALGORITHM;
    if (!isAlgorithmName(name)) {
      throw new UsageError(`--name must be 1-15 letters, digits, _ . or - (a TCP congestion control name), got ${JSON.stringify(name)}`);
    }
    // With --json, the text report would corrupt the document: it goes nowhere.
    const out = io.json ? (): void => undefined : io.out;
    // On a terminal the chart is drawn live while the transfer runs; elsewhere once, at the end.
    const live = !io.json && process.stdout.isTTY === true
      ? { open: () => new LiveFrame(stdoutTerminal(), colourAllowed(true)), onResize: watchResize }
      : undefined;
    return runDemo({ seconds, name, out, err: io.err, emit: (r) => io.emit(r), live, ...(hasFlag(args, 'no-loss') ? { lossy: false } : {}) });
  },
};
