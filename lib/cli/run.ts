import { GLOBAL_FLAGS, hasFlag, parseArgs, UsageError } from './args';
import { CliIo, EXIT_OK, EXIT_USAGE } from './command';
import { COMMANDS } from './commands';
import { commandIo, stdio } from './io';
import { didYouMean } from './suggest';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: struct-ops [-j | -p] <command> [options]',
    '',
    'Load BPF struct_ops objects (TCP congestion controllers and more) and register them with',
    'the running kernel.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `struct-ops <command> --help` for a command\'s options.',
    'Options (every command): -j, --json  JSON output (snake_case keys, as bpftool; an error is',
    '                                     {"error": "..."} on stdout, exit status unchanged)',
    '                         -p, --pretty  indented JSON (implies --json)',
    '                         -h, --help    show help;  -V, --version  print the version',
    'Exit status: 0 success, 1 failure, 2 usage error. When stdout is closed early (| head -1),',
    'output stops quietly and the command still finishes and exits with its own status.',
  ].join('\n');
}

const LEADING_GLOBALS = new Set(GLOBAL_FLAGS.filter((f) => f.name !== 'help').flatMap((f) => [`--${f.name}`, `-${f.short}`]));

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = stdio()): Promise<number> {
  // bpftool's order works too: `struct-ops -j show` is `struct-ops show -j`.
  let start = 0;
  while (start < argv.length && LEADING_GLOBALS.has(argv[start])) start++;
  const globals = argv.slice(0, start);
  const [name, ...rest] = argv.slice(start);
  if (name === undefined) {
    io.err(usage());
    return EXIT_USAGE;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(usage());
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.out((require('../../package.json') as { version: string }).version);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const out = commandIo(io, undefined, { json: globals.some((g) => g === '-j' || g === '--json'), pretty: globals.some((g) => g === '-p' || g === '--pretty') });
    const guess = didYouMean(name, COMMANDS.map((c) => c.name));
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command '${name}'`;
    out.fail(new UsageError(`${what}${guess ? ` (did you mean '${guess}'?)` : ''}`));
    if (!out.json) io.err('Run `struct-ops --help` for the list of commands.');
    return out.finish(EXIT_USAGE);
  }
  let args;
  try {
    args = parseArgs([...globals, ...rest], command.flags);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const json = [...globals, ...rest].some((a) => /^-(j|p|-json|-pretty)$/.test(a));
    const out = commandIo(io, name, { json, pretty: [...globals, ...rest].some((a) => a === '-p' || a === '--pretty') });
    out.fail(err);
    if (!out.json) io.err(`\n${command.usage}`);
    return out.finish(EXIT_USAGE);
  }
  if (hasFlag(args, 'help')) {
    io.out(command.usage);
    return EXIT_OK;
  }
  const out = commandIo(io, name, { json: hasFlag(args, 'json'), pretty: hasFlag(args, 'pretty') });
  let code: number;
  try {
    code = await command.run(args, out);
  } catch (err) {
    code = out.fail(err);
    if (err instanceof UsageError && !out.json) io.err(`\n${command.usage}`);
  }
  return out.finish(code);
}
