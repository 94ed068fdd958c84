/**
 * Styled text for the terminal: lines made of segments, cut to the terminal width before
 * any escape sequence is added (so a cut never splits one), coloured only when allowed.
 */

/** How a segment is drawn when colour is on. */
export type Tone = 'plain' | 'bold' | 'dim' | 'good' | 'bad' | 'accent';

export interface Segment {
  text: string;
  tone?: Tone;
}

export type Line = Segment[];

const SGR: Record<Exclude<Tone, 'plain'>, string> = { bold: '1', dim: '2', good: '32', bad: '31', accent: '36' };

/**
 * Colour on only for a terminal, and never when NO_COLOR is set to anything non-empty
 * (https://no-color.org) or TERM is "dumb".
 */
export function colourAllowed(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** Visible length of a line (code points; the view writes no wide characters itself). */
export function lineLength(line: Line): number {
  return line.reduce((n, s) => n + [...s.text].length, 0);
}

/**
 * The line as a string at most `width` columns wide (cut with an ellipsis), with SGR
 * colour codes when `colour` is true.
 */
export function renderLine(line: Line, width: number, colour: boolean): string {
  let room = Math.max(1, width);
  const total = lineLength(line);
  const cut = total > room;
  if (cut) room -= 1;
  let out = '';
  for (const seg of line) {
    if (room <= 0) break;
    const chars = [...seg.text];
    const text = chars.slice(0, room).join('');
    room -= Math.min(room, chars.length);
    out += colour && seg.tone && seg.tone !== 'plain' && text !== '' ? `\x1b[${SGR[seg.tone]}m${text}\x1b[0m` : text;
  }
  return cut ? `${out}…` : out;
}

/** A line of one plain segment. */
export function plain(text: string): Line {
  return [{ text }];
}
