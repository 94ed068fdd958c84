// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Strict command-line parsing shared by every command: the tokens of ./tokenize (node:util's
 * conventions), then our own checks so a mistake is refused with a precise message (and a "did you mean") instead of
 * being guessed at. Booleans take no value (`--json=false` is an error, never true), a value
 * option takes exactly one (`--map NAME` or `--map=NAME`), a single-valued option given
 * twice is refused, `--` ends options.
 */
import { didYouMean } from './suggest';
import { tokenize } from './tokenize';

/** Parsed command line: positionals in order, and flags (repeatable ones as arrays). */
export interface ParsedArgs {
  positionals: string[];
  /** Flag name (long form) -> values in order; booleans hold `'true'`. */
  flags: Map<string, string[]>;
}

/** A flag a command accepts. */
export interface FlagSpec {
  /** Long name without dashes (`pin-dir`); a one-letter name is a short flag (`-o`). */
  name: string;
  /** True for a flag that takes an argument (`--map NAME` or `--map=NAME`). */
  value: boolean;
  /** One-letter alias (`j` for `--json`). */
  short?: string;
  /** May be given several times (values collected in order). */
  multiple?: boolean;
}

/** Flags every command accepts (bpftool's `-j`, `-p`, plus help). */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'json', value: false, short: 'j' },
  { name: 'pretty', value: false, short: 'p' },
  { name: 'help', value: false, short: 'h' },
];

/** A command line the user got wrong: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `argv` against the flags a command accepts (plus {@link GLOBAL_FLAGS}).
 * @throws {UsageError} for an unknown flag (with the closest known one), a boolean with a
 *   value, a missing or ambiguous value, a single flag given twice.
 */
export function parseArgs(argv: string[], accepted: FlagSpec[]): ParsedArgs {
  const specs = withGlobals(accepted);
  const tokens = tokenize(argv, specs);
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = specs.find((s) => s.name === token.name);
    if (!spec) throw new UsageError(unknownFlag(token.rawName, specs));
    const shown = spec.name.length === 1 ? `-${spec.name}` : `--${spec.name}`;
    let value: string;
    if (!spec.value) {
      if (token.inlineValue) throw new UsageError(`${shown} takes no value (got ${argv[token.index]})`);
      value = 'true';
    } else {
      if (token.value === undefined) throw new UsageError(`${shown} needs a value`);
      // `--pin-dir --json`: the tokenizer took the next flag as the value; refuse, it is a slip.
      if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-') {
        throw new UsageError(`${shown} needs a value, got the option ${token.value} (write ${shown}=${token.value} if that is the value)`);
      }
      value = token.value;
    }
    const previous = flags.get(spec.name);
    // A repeated boolean is harmless (`-j --json`); a repeated value would silently lose one.
    if (previous && spec.value && !spec.multiple) {
      throw new UsageError(`${shown} given more than once`);
    }
    flags.set(spec.name, [...(previous ?? []), value]);
  }
  return { positionals, flags };
}

/** A command's flags plus the global ones (which win: `-j` means --json everywhere). */
function withGlobals(accepted: FlagSpec[]): FlagSpec[] {
  return [...accepted.filter((a) => !GLOBAL_FLAGS.some((g) => g.name === a.name)), ...GLOBAL_FLAGS];
}

function unknownFlag(raw: string, specs: FlagSpec[]): string {
  const names = specs.flatMap((s) => [s.name.length === 1 ? `-${s.name}` : `--${s.name}`, ...(s.short ? [`-${s.short}`] : [])]);
  const bare = raw.replace(/=.*$/, '');
  const guess = didYouMean(bare, names);
  return `unknown option ${bare}${guess ? ` (did you mean ${guess}?)` : ''}`;
}

/** The last value of a flag, or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function hasFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** Every value of a repeatable flag (empty when not given). */
export function flagValues(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

/**
 * A decimal integer from the command line, refused unless it is plain digits without sign,
 * spaces, exponent, fraction, hex or leading zeros (`0x47d9`, `1e3`, `" 5"`, `5.0`, `05`
 * are all errors: Number() would take most of them and hit another object).
 * @throws {UsageError} naming `what` and the accepted range.
 */
export function parseInteger(text: string, what: string, range: { min?: number; max?: number } = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const value = /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${what} must be a decimal integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A BPF object id (map, link, program): 1 .. 2^32-1. */
export function parseId(text: string, what = '--id'): number {
  return parseInteger(text, what, { min: 1, max: 0xffffffff });
}
