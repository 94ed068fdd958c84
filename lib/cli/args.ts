/** Parsed command line: positionals in order, and flags (repeatable ones as arrays). */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

/** A flag a command accepts: `value` flags take an argument (`--map NAME` or `--map=NAME`). */
export interface FlagSpec {
  name: string;
  value: boolean;
}

/**
 * Parses `argv` against the flags a command accepts. `--` ends flags.
 * @throws {Error} for an unknown flag or a missing value (the CLI prints it with usage).
 */
export function parseArgs(argv: string[], accepted: FlagSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string): void => {
    flags.set(name, [...(flags.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq > 0 ? arg.slice(0, eq) : arg).replace(/^--?/, '');
    const spec = accepted.find((f) => f.name === name) ?? (name === 'h' ? accepted.find((f) => f.name === 'help') : undefined);
    if (!spec) throw new Error(`unknown option ${arg}`);
    if (!spec.value) {
      add(spec.name, 'true');
    } else if (eq > 0) {
      add(spec.name, arg.slice(eq + 1));
    } else if (i + 1 < argv.length) {
      add(spec.name, argv[++i]);
    } else {
      throw new Error(`option --${spec.name} needs a value`);
    }
  }
  return { positionals, flags };
}

/** The last value of a flag, or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function hasFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}
