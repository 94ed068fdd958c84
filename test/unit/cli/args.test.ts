import { parseArgs, parseId, parseInteger, UsageError } from '../../../lib/cli/args';
import { didYouMean, editDistance } from '../../../lib/cli/suggest';
import { toJson, snakeKeys } from '../../../lib/cli/format/json';

const FLAGS = [{ name: 'map', value: true, multiple: true }, { name: 'pin-dir', value: true }, { name: 'id', value: true }, { name: 'all', value: false }];
const parse = (argv: string[]): ReturnType<typeof parseArgs> => parseArgs(argv, FLAGS);
const refused = (argv: string[]): string => {
  try {
    parse(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(argv)}`);
};

describe('CLI flag parsing', () => {
  test('values, repeats, short globals, grouped shorts, -- ends options', () => {
    const r = parse(['f.o', '--map', 'a', '--map=b', '-jp', '--pin-dir', '/x', '--', '--all']);
    expect(r.positionals).toEqual(['f.o', '--all']);
    expect(r.flags.get('map')).toEqual(['a', 'b']);
    expect(r.flags.get('pin-dir')).toEqual(['/x']);
    expect(r.flags.has('json')).toBe(true);
    expect(r.flags.has('pretty')).toBe(true);
    expect(r.flags.has('all')).toBe(false);
  });

  test('a boolean takes no value: --json=false is refused, never true', () => {
    expect(refused(['--json=false'])).toBe('--json takes no value (got --json=false)');
    expect(refused(['--all=1'])).toMatch(/--all takes no value/);
  });

  test('unknown flags are refused with the closest known one', () => {
    expect(refused(['--jsn'])).toBe('unknown option --jsn (did you mean --json?)');
    expect(refused(['--pindir', 'x'])).toBe('unknown option --pindir (did you mean --pin-dir?)');
    expect(refused(['--zzzzzz'])).toBe('unknown option --zzzzzz');
  });

  test('a value flag needs one; the next option is not taken as it; a single flag twice is refused', () => {
    expect(refused(['--pin-dir'])).toBe('--pin-dir needs a value');
    expect(refused(['--pin-dir', '--json'])).toMatch(/^--pin-dir needs a value, got the option --json/);
    expect(parse(['--pin-dir=--odd']).flags.get('pin-dir')).toEqual(['--odd']);
    expect(refused(['--id', '1', '--id', '2'])).toBe('--id given more than once');
    expect(parse(['-j', '--json']).flags.get('json')).toEqual(['true', 'true']);
  });

  test('integers are plain decimal digits only', () => {
    expect(parseId('18393')).toBe(18393);
    expect(parseId('4294967295')).toBe(4294967295);
    for (const bad of ['0x47d9', '1e3', ' 5', '5 ', '5.0', '05', '-1', '+1', '', '0', '4294967296', '١٢']) {
      expect(() => parseId(bad)).toThrow(UsageError);
    }
    expect(parseInteger('0', '--n')).toBe(0);
    expect(() => parseInteger('11', '--n', { max: 10 })).toThrow('--n must be a decimal integer from 0 to 10, got "11"');
  });
});

describe('did you mean', () => {
  test('a transposition, a missing letter and a prefix are typos; far words are not', () => {
    expect(editDistance('shwo', 'show')).toBe(1);
    expect(didYouMean('shwo', ['show', 'dump'])).toBe('show');
    expect(didYouMean('regster', ['register', 'unregister'])).toBe('register');
    expect(didYouMean('unreg', ['register', 'unregister'])).toBe('unregister');
    expect(didYouMean('xyz', ['show', 'dump'])).toBeUndefined();
  });
});

describe('JSON output', () => {
  test('snake_case keys for our records; pretty indents; bigint exact', () => {
    expect(snakeKeys({ mapId: 1, linkIds: [2], nested: { valueTypeId: 3 } })).toEqual({ map_id: 1, link_ids: [2], nested: { value_type_id: 3 } });
    expect(toJson({ a: [1, 2n ** 64n] })).toBe('{"a":[1,18446744073709551616]}');
    expect(toJson({ a: [1], b: {} }, 2)).toBe('{\n  "a": [\n    1\n  ],\n  "b": {}\n}');
  });
});
