import { LiveFrame } from '../../../lib/cli/view/frame';
import { flatten } from '../../../lib/cli/view/counters';
import { RateTracker } from '../../../lib/cli/view/rates';
import { colourAllowed, plain, renderLine } from '../../../lib/cli/view/style';
import { fakeTerminal } from '../../helpers/fake-terminal';

describe('live view: LiveFrame', () => {
  test('redraws in place: one write per frame, cursor back over the rows it drew, no blanking first', () => {
    const term = fakeTerminal(80);
    const writes: string[] = [];
    const frame = new LiveFrame({ write: (s) => writes.push(s), columns: term.columns }, false);
    frame.draw([plain('a'), plain('b'), plain('c')]);
    frame.draw([plain('a2'), plain('b2')]);
    expect(writes[0]).toBe('\x1b[?25l'); // cursor hidden
    expect(writes[1]).toBe('a\x1b[K\nb\x1b[K\nc\x1b[K\n\x1b[J');
    // Back up 3 rows, rewrite each line (cleared to its end), clear the rest of the old block.
    expect(writes[2]).toBe('\r\x1b[3Aa2\x1b[K\nb2\x1b[K\n\x1b[J');
    frame.close();
    expect(writes.at(-1)).toBe('\x1b[?25h');
    frame.close();
    expect(writes.filter((w) => w === '\x1b[?25h')).toHaveLength(1);
  });

  test('after the terminal narrows, lines that now wrap are counted as the rows they take', () => {
    const term = fakeTerminal(41);
    const frame = new LiveFrame(term, false);
    frame.draw([plain('x'.repeat(40)), plain('y')]);
    term.width = 20;
    term.text = '';
    frame.resized();
    // 40 visible columns now wrap onto 2 rows of 20, plus 1 row for "y".
    expect(term.text.startsWith('\r\x1b[3A')).toBe(true);
  });

  test('lines are cut to the width (one column spare) with an ellipsis', () => {
    const term = fakeTerminal(10);
    const frame = new LiveFrame(term, false);
    frame.draw([plain('0123456789abcdef')]);
    expect(term.text).toContain('01234567…\x1b[K');
  });

  test('records printed above the block scroll: the block is cleared and drawn again below them', () => {
    const term = fakeTerminal(80);
    const frame = new LiveFrame(term, false);
    frame.draw([plain('block')]);
    term.text = '';
    frame.printAbove(['event 1']);
    expect(term.text).toBe('\r\x1b[1A\x1b[Jevent 1\x1b[K\nblock\x1b[K\n\x1b[J');
  });
});

describe('live view: colour', () => {
  test('only on a terminal, never with NO_COLOR set (non-empty) or TERM=dumb', () => {
    expect(colourAllowed(true, {})).toBe(true);
    expect(colourAllowed(false, {})).toBe(false);
    expect(colourAllowed(true, { NO_COLOR: '1' })).toBe(false);
    expect(colourAllowed(true, { NO_COLOR: '' })).toBe(true);
    expect(colourAllowed(true, { TERM: 'dumb' })).toBe(false);
  });

  test('escape codes wrap the visible text after cutting, so a cut never splits one', () => {
    expect(renderLine([{ text: 'abc', tone: 'good' }, { text: 'defgh' }], 5, true)).toBe('\x1b[32mabc\x1b[0md…');
    expect(renderLine([{ text: 'abc', tone: 'good' }], 80, false)).toBe('abc');
  });
});

describe('live view: counters and rates', () => {
  test('globals flatten to named scalars; long arrays are left out', () => {
    expect(flatten('.bss', 's', { a: 1n, b: { c: true }, d: [1, 2] })).toEqual([
      { group: '.bss', name: 's.a', value: 1n },
      { group: '.bss', name: 's.b.c', value: true },
      { group: '.bss', name: 's.d[0]', value: 1 },
      { group: '.bss', name: 's.d[1]', value: 2 },
    ]);
    expect(flatten('.bss', 'ring', new Array(17).fill(0))).toBeUndefined();
  });

  test('rates per second from two readings; none for the first or for non-integers', () => {
    const r = new RateTracker();
    const first = r.update([{ group: 'g', name: 'n', value: 10n }, { group: 'g', name: 's', value: 'x' }], 1000);
    expect(first[0].rate).toBeUndefined();
    const second = r.update([{ group: 'g', name: 'n', value: 30n }, { group: 'g', name: 's', value: 'x' }], 1500);
    expect(second[0].rate).toBe(40);
    expect(second[1].rate).toBeUndefined();
  });
});
