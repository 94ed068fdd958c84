import { hasFlag, parseArgs } from './args';
import { CliIo, EXIT_OK, EXIT_USAGE } from './command';
import { COMMANDS } from './commands';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: struct-ops <command> [options]',
    '',
    'Load BPF struct_ops objects (TCP congestion controllers and more) and register them with',
    'the running kernel.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `struct-ops <command> --help` for a command\'s options.',
    'Options: -h, --help  show help;  --version  print the version',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = stdio()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(usage());
    return EXIT_USAGE;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(usage());
    return EXIT_OK;
  }
  if (name === '--version') {
    io.out((require('../../package.json') as { version: string }).version);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`struct-ops: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  let args;
  try {
    args = parseArgs(rest, [...command.flags, { name: 'help', value: false }]);
  } catch (err) {
    io.err(`struct-ops ${name}: ${(err as Error).message}\n\n${command.usage}`);
    return EXIT_USAGE;
  }
  if (hasFlag(args, 'help')) {
    io.out(command.usage);
    return EXIT_OK;
  }
  return command.run(args, io);
}

function stdio(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
  };
}
