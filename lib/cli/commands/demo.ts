import { flag, hasFlag } from '../args';
import { Command, EXIT_USAGE } from '../command';
import { runDemo } from '../demo';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'load the bundled congestion controller, move loopback traffic with it, show what it did (root)',
  usage: `Usage: struct-ops demo [--seconds N] [--no-loss]

Loads the congestion controller bundled with struct-ops (so_demo), registers it through a
BPF link, pushes TCP traffic with it for N seconds (default 3), prints how often the kernel
called each callback and a chart of cwnd over time, then unregisters it and checks that the
kernel no longer offers so_demo. Needs root.

The traffic runs over the loopback of a throwaway network namespace whose queue drops
packets (tbf, 200 Mbit/s), so the chart shows the controller reacting to losses. With
--no-loss (or without ip/tc) it uses the host's plain loopback instead.`,
  flags: [{ name: 'seconds', value: true }, { name: 'no-loss', value: false }],
  async run(args, io) {
    const seconds = Number(flag(args, 'seconds') ?? '3');
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
      io.err('struct-ops demo: --seconds must be a number between 0 and 600');
      return EXIT_USAGE;
    }
    return runDemo({ seconds, out: io.out, err: io.err, ...(hasFlag(args, 'no-loss') ? { lossy: false } : {}) });
  },
};
