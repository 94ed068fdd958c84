import { flag, type ParsedArgs } from '../args';
import type { CliIo } from '../command';
import { EXIT_USAGE } from '../command';

/** Which struct_ops maps a command addresses: all, one id, or a map name. */
export interface Target {
  id?: number;
  name?: string;
}

/**
 * Reads `[NAME] [--id ID]` (at most one of them). Prints the problem and returns
 * EXIT_USAGE for bad input.
 */
export function parseTarget(args: ParsedArgs, io: CliIo, command: string, usage: string): Target | number {
  const fail = (why: string): number => {
    io.err(`struct-ops ${command}: ${why}\n\n${usage}`);
    return EXIT_USAGE;
  };
  if (args.positionals.length > 1) return fail(`expected at most one NAME, got ${args.positionals.join(' ')}`);
  const name = args.positionals[0];
  const idText = flag(args, 'id');
  if (name !== undefined && idText !== undefined) return fail('give either NAME or --id, not both');
  if (idText !== undefined) {
    const id = Number(idText);
    if (!/^\d+$/.test(idText) || !Number.isSafeInteger(id) || id <= 0 || id > 0xffffffff) {
      return fail(`--id must be a map id (a positive integer), got ${JSON.stringify(idText)}`);
    }
    return { id };
  }
  return name === undefined ? {} : { name };
}

/** `NAME` or `id N`, as "no struct_ops found for ..." names the target (bpftool's wording). */
export function targetText(target: Target): string {
  return target.id !== undefined ? `id ${target.id}` : (target.name ?? '');
}
