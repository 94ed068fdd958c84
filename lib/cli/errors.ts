import { BpfError } from '../errors';
import type { CliIo } from './command';
import { EXIT_FAIL } from './command';

/** Prints a BpfError the way every command does: message, then the hint. Returns exit 1. */
export function reportError(io: CliIo, command: string, err: unknown): number {
  if (err instanceof BpfError) {
    io.err(`struct-ops ${command}: ${err.message}`);
    if (err.hint) io.err(`hint: ${err.hint}`);
    return EXIT_FAIL;
  }
  throw err;
}
