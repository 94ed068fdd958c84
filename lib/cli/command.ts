import type { FlagSpec, ParsedArgs } from './args';

/** Where the CLI writes: stdout lines, stderr lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * What a command writes through: plain lines, or (with --json / -j / -p) one JSON document,
 * and its failures, which are printed one way everywhere (see {@link CommandIo.fail}).
 */
export interface CommandIo extends CliIo {
  /** The command's name, as error lines name it. */
  readonly command: string;
  /** True with --json, -j, --pretty or -p: print {@link emit}'s document instead of text. */
  readonly json: boolean;
  /**
   * Sets the command's JSON document (printed once the command returns, unless it failed:
   * then `{"error": "..."}` is printed instead, like bpftool).
   */
  emit(value: unknown): void;
  /**
   * Reports a failure (a BpfError, a UsageError, a Node system error or a message): as text,
   * `struct-ops CMD: message` and `hint: ...` on stderr; with --json, `{"error": "message"}`
   * on stdout (the hint still goes to stderr). Returns EXIT_FAIL (EXIT_USAGE for a UsageError).
   * @throws the value itself when it is not an expected failure (a bug: exit 70).
   */
  fail(err: unknown): number;
  /** `warning: ...` on stderr. */
  warn(message: string): void;
  /** `note: ...` on stderr. */
  note(message: string): void;
  /** True once something was reported through {@link fail}. */
  readonly failed: boolean;
}

/** One `struct-ops <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full `--help` text. */
  usage: string;
  /** Flags it accepts (`--json`/`-j`, `--pretty`/`-p` and `--help`/`-h` are added for every command). */
  flags: FlagSpec[];
  /** Runs it; returns the exit code (0 only on full success). */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

/** Exit codes: 0 success, 1 failure, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
/** An unexpected exception (a bug), as sysexits' EX_SOFTWARE. */
export const EXIT_INTERNAL = 70;
