// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../index';
import { UsageError } from './args';
import type { CommandIo } from './command';

/** The one prefix of every error line: `struct-ops CMD: ` (`struct-ops: ` before a command is known). */
export function errorPrefix(command: string | undefined): string {
  return command ? `struct-ops ${command}: ` : 'struct-ops: ';
}

/** What a failure says, or undefined when `err` is not an expected failure (a bug). */
export function failureText(err: unknown): { message: string; hint?: string } | undefined {
  if (err instanceof BpfError) return { message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  if (err instanceof UsageError) return { message: err.message };
  if (typeof err === 'string') return { message: err };
  // Node system errors (fs, child_process): their message names the call, path and code.
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall) {
    return { message: err.message };
  }
  return undefined;
}

/** Prints a failure the way every command does (see CommandIo.fail). Kept for older call sites. */
export function reportError(io: CommandIo, _command: string, err: unknown): number {
  return io.fail(err);
}
