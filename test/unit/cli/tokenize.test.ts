/**
 * lib/cli/tokenize.ts gives the tokens node:util's parseArgs gives (non-strict, tokens mode),
 * which the CLI used before: every command line of up to three pieces from an alphabet of
 * the shapes that matter (long, long=value, short, short+value, groups, `--`, `-`, values
 * that look like options), against a flag table with value and boolean flags and aliases.
 */
import { parseArgs } from 'node:util';
import { tokenize, type TokenFlag } from '../../../lib/cli/tokenize';

const FLAGS: TokenFlag[] = [
  { name: 'map', value: true },
  { name: 'pin-dir', value: true },
  { name: 'o', value: true },
  { name: 'json', value: false, short: 'j' },
  { name: 'pretty', value: false, short: 'p' },
  { name: 'output', value: true, short: 'O' },
  { name: 'all', value: false },
];

function nodeTokens(argv: string[]): unknown[] {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: true }> = {};
  for (const f of FLAGS) options[f.name] = { type: f.value ? 'string' : 'boolean', multiple: true, ...(f.short ? { short: f.short } : {}) };
  return parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

const PIECES = [
  'file.o', '-', '--', '---x', '--=v', '-=', '--map', '--map=a', '--map=', '--pin-dir', '--json', '--json=false', '--nosuch', '--nosuch=1',
  '-j', '-p', '-jp', '-pj', '-o', '-ofile', '-jo', '-jofile', '-O', '-Ox', '-jO', '-x', '-jx', '-xj', '-xo', '--all', '-5', 'a=b',
];

describe('tokenize', () => {
  test('the same tokens as node:util parseArgs for every line of up to 3 pieces', () => {
    let lines = 0;
    const mismatches: string[] = [];
    const walk = (prefix: string[]): void => {
      lines++;
      const ours = tokenize(prefix, FLAGS);
      const theirs = nodeTokens(prefix);
      if (JSON.stringify(ours) !== JSON.stringify(theirs.map((t) => normalize(t as Record<string, unknown>)))) {
        if (mismatches.length < 5) mismatches.push(`${JSON.stringify(prefix)}: ours ${JSON.stringify(ours)} node ${JSON.stringify(theirs)}`);
      }
      if (prefix.length < 3) for (const p of PIECES) walk([...prefix, p]);
    };
    walk([]);
    expect(mismatches).toEqual([]);
    expect(lines).toBe(1 + PIECES.length + PIECES.length ** 2 + PIECES.length ** 3);
  });

  test('shapes, spelled out', () => {
    expect(tokenize(['-jofile', '--map', '--json', '--', '-j'], FLAGS)).toEqual([
      { kind: 'option', index: 0, name: 'json', rawName: '-j', value: undefined, inlineValue: undefined },
      { kind: 'option', index: 0, name: 'o', rawName: '-o', value: 'file', inlineValue: true },
      { kind: 'option', index: 1, name: 'map', rawName: '--map', value: '--json', inlineValue: false },
      { kind: 'option-terminator', index: 3 },
      { kind: 'positional', index: 4, value: '-j' },
    ]);
  });
});

/** Node's token with our key order (JSON comparison), keeping its values. */
function normalize(t: Record<string, unknown>): Record<string, unknown> {
  if (t.kind === 'positional') return { kind: t.kind, index: t.index, value: t.value };
  if (t.kind === 'option-terminator') return { kind: t.kind, index: t.index };
  return { kind: t.kind, index: t.index, name: t.name, rawName: t.rawName, value: t.value, inlineValue: t.inlineValue };
}
