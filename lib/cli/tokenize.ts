// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Splits a command line into option, positional and `--` tokens, with the conventions of
 * node:util's parseArgs in its non-strict token mode (which lib/cli/args.ts used): `--name`,
 * `--name=value`, `-x`, `-xVALUE`, grouped shorts `-jp`, a value option taking the next
 * argument whatever it is, `--` ending options. Ours because loading Node's parser is about
 * 1.4 ms of every command (docs/startup.md); test/unit/cli/tokenize.test.ts holds the two
 * to the same tokens. Judging the tokens (unknown names, values) is args.ts's job.
 */

/** What the tokenizer needs of a flag: its long name, its one-letter alias, whether it takes a value. */
export interface TokenFlag {
  name: string;
  short?: string;
  value: boolean;
}

export type Token =
  | { kind: 'positional'; index: number; value: string }
  | { kind: 'option-terminator'; index: number }
  /** `name` is the long name when `-x` is a known alias, else the text after the dashes. */
  | { kind: 'option'; index: number; name: string; rawName: string; value: string | undefined; inlineValue: boolean | undefined };

export function tokenize(argv: readonly string[], flags: readonly TokenFlag[]): Token[] {
  const longOf = (short: string): string => flags.find((f) => f.short === short)?.name ?? short;
  const takesValue = (name: string): boolean => flags.some((f) => f.name === name && f.value);
  const tokens: Token[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const next = index + 1 < argv.length ? argv[index + 1] : undefined;
    if (arg === '--') {
      tokens.push({ kind: 'option-terminator', index });
      for (let rest = index + 1; rest < argv.length; rest++) tokens.push({ kind: 'positional', index: rest, value: argv[rest] });
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      tokens.push({ kind: 'positional', index, value: arg });
      continue;
    }
    if (arg[1] === '-') {
      // As Node's: an '=' right after the dashes is part of the name (`--=v` is option "=v").
      const eq = arg.indexOf('=', 3);
      if (eq >= 0) {
        const name = arg.slice(2, eq);
        tokens.push({ kind: 'option', index, name, rawName: `--${name}`, value: arg.slice(eq + 1), inlineValue: true });
        continue;
      }
      const name = arg.slice(2);
      const taken = takesValue(name) && next !== undefined;
      tokens.push({ kind: 'option', index, name, rawName: arg, value: taken ? next : undefined, inlineValue: taken ? false : undefined });
      if (taken) index++;
      continue;
    }
    // One or more short options: `-x`, `-xVALUE` for a value option, a group `-jp` (where a
    // value option takes the rest of the group as its value).
    let consumedNext = false;
    for (let at = 1; at < arg.length; at++) {
      const short = arg[at];
      const name = longOf(short);
      if (!takesValue(name)) {
        tokens.push({ kind: 'option', index, name, rawName: `-${short}`, value: undefined, inlineValue: undefined });
        continue;
      }
      if (at < arg.length - 1) {
        tokens.push({ kind: 'option', index, name, rawName: `-${short}`, value: arg.slice(at + 1), inlineValue: true });
      } else if (next !== undefined) {
        tokens.push({ kind: 'option', index, name, rawName: `-${short}`, value: next, inlineValue: false });
        consumedNext = true;
      } else {
        tokens.push({ kind: 'option', index, name, rawName: `-${short}`, value: undefined, inlineValue: undefined });
      }
      break;
    }
    if (consumedNext) index++;
  }
  return tokens;
}
