import { flag, hasFlag, parseArgs } from './args';
import { runDemo } from './demo';

const USAGE = `Usage: struct-ops <command> [options]

Commands:
  demo [--seconds N]   load the bundled congestion controller, register it, move loopback
                       TCP traffic with it, show its callbacks and cwnd, unregister (root)

Options:
  -h, --help           show help for a command
  --version            print the version`;

const DEMO_USAGE = `Usage: struct-ops demo [--seconds N]

Loads the congestion controller bundled with struct-ops (so_demo), registers it through a
BPF link, pushes loopback TCP traffic with it for N seconds (default 3), prints how often
the kernel called each callback and a chart of cwnd over time, then unregisters it and
checks that the kernel no longer offers so_demo. Needs root.`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? err : out)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    out(require('../../package.json').version as string);
    return 0;
  }
  try {
    switch (command) {
      case 'demo': {
        const args = parseArgs(rest, [{ name: 'seconds', value: true }, { name: 'help', value: false }]);
        if (hasFlag(args, 'help')) {
          out(DEMO_USAGE);
          return 0;
        }
        const seconds = Number(flag(args, 'seconds') ?? '3');
        if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
          err('struct-ops demo: --seconds must be a number between 0 and 600');
          return 2;
        }
        return await runDemo({ seconds, out, err });
      }
      default:
        err(`struct-ops: unknown command ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof Error && /^(unknown option|option --)/.test(e.message)) {
      err(`struct-ops ${command}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
