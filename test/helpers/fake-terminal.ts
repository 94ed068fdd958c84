import type { Terminal } from '../../lib/cli/view/frame';

/** A terminal that records what was written, with a width the test sets. */
export function fakeTerminal(columns: number): Terminal & { text: string; width: number } {
  const t = {
    text: '',
    width: columns,
    write(s: string) {
      t.text += s;
    },
    columns: () => t.width,
  };
  return t;
}
