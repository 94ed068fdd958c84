/**
 * A block of lines redrawn in place at the bottom of a terminal (the live view), with other
 * output (ring buffer records) scrolling above it. Each redraw is one write: the cursor goes
 * back to the top of the block, every line is rewritten and cleared to its end, and what is
 * left of a taller previous block is cleared: nothing is blanked first, so nothing flickers.
 */
import { Line, lineLength, renderLine } from './style';

/** The terminal a frame draws on (process.stdout, or a test double). */
export interface Terminal {
  write(text: string): void;
  /** Current width in columns. */
  columns(): number;
}

const CSI = '\x1b[';

export class LiveFrame {
  readonly #term: Terminal;
  readonly #colour: boolean;
  #lines: Line[] = [];
  /** Visible lengths of the lines on screen, to count the rows they take after a resize. */
  #drawn: number[] = [];
  #closed = false;

  constructor(term: Terminal, colour: boolean) {
    this.#term = term;
    this.#colour = colour;
    term.write(`${CSI}?25l`); // hide the cursor while the block is live
  }

  /** Replaces the block with `lines`. */
  draw(lines: Line[]): void {
    if (this.#closed) return;
    this.#lines = lines;
    this.#term.write(this.#erase(false) + this.#body());
  }

  /** Prints `lines` above the block (they scroll away as normal output), then redraws it. */
  printAbove(lines: string[]): void {
    if (this.#closed) {
      this.#term.write(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    const text = lines.map((l) => `${l}${CSI}K\n`).join('');
    this.#term.write(this.#erase(true) + text + this.#body());
  }

  /**
   * Columns a line may take: one short of the terminal's width, since writing the last
   * column makes some terminals wrap.
   */
  columns(): number {
    return Math.max(1, this.#term.columns() - 1);
  }

  /** The terminal was resized: redraw for the new width. */
  resized(): void {
    this.draw(this.#lines);
  }

  /** Leaves the last block on screen and shows the cursor again. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#term.write(`${CSI}?25h`);
  }

  /** Moves the cursor to the top of the block on screen; with `clear`, clears it too. */
  #erase(clear: boolean): string {
    const cols = Math.max(1, this.#term.columns());
    // A line of the old block may now wrap onto several rows (the terminal got narrower).
    const rows = this.#drawn.reduce((n, len) => n + Math.max(1, Math.ceil(len / cols)), 0);
    this.#drawn = [];
    if (rows === 0) return '';
    return `\r${CSI}${rows}A${clear ? `${CSI}J` : ''}`;
  }

  #body(): string {
    const width = this.columns();
    let out = '';
    for (const line of this.#lines) {
      out += `${renderLine(line, width, this.#colour)}${CSI}K\n`;
      this.#drawn.push(Math.min(width, lineLength(line)));
    }
    return `${out}${CSI}J`;
  }
}
