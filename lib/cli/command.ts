import type { FlagSpec, ParsedArgs } from './args';

/** Where a command writes: stdout lines, stderr lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** One `struct-ops <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full `--help` text. */
  usage: string;
  /** Flags it accepts (`help` is added for every command). */
  flags: FlagSpec[];
  /** Runs it; returns the exit code (0 only on full success). */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Exit codes: 0 success, 1 failure, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
