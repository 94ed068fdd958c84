// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../index';
import { flag, parseId, UsageError, type ParsedArgs } from '../args';

/** Which struct_ops maps a command addresses: all, one id, or a map name. */
export interface Target {
  id?: number;
  name?: string;
}

/**
 * Reads `[NAME] [--id ID]` (at most one of them; the id strictly decimal, see parseId).
 * @throws {UsageError} for bad input.
 */
export function parseTarget(args: ParsedArgs): Target {
  if (args.positionals.length > 1) throw new UsageError(`expected at most one NAME, got ${args.positionals.join(' ')}`);
  const name = args.positionals[0];
  const idText = flag(args, 'id');
  if (name !== undefined && idText !== undefined) throw new UsageError('give either NAME or --id, not both');
  if (idText !== undefined) return { id: parseId(idText) };
  return name === undefined ? {} : { name };
}

/** `NAME` or `id N`, as "no struct_ops found for ..." names the target (bpftool's wording). */
export function targetText(target: Target): string {
  return target.id !== undefined ? `id ${target.id}` : (target.name ?? '');
}

/** The failure of `show`/`dump NAME | --id ID` when no struct_ops map matches (bpftool's wording). */
export function noMatch(target: Target): BpfError {
  return new BpfError(`no struct_ops found for ${targetText(target)}`, {
    code: 'ENOENT',
    ...(target.id === undefined && target.name !== undefined ? { map: target.name } : {}),
    hint: 'list the registered struct_ops with `struct-ops show` (names are map names, at most 15 characters)',
  });
}
