/** The live view on a terminal: a block redrawn in place, records scrolling above it. */
import { basename } from 'node:path';
import { LiveFrame, Terminal } from './frame';
import type { EndReport, EventRecord, LiveView, Registration, Snapshot } from './model';
import { Line, renderLine } from './style';
import { endLines, registrationText, tableLines } from './table';
import { showElapsed, showRecord } from './values';

export class TtyView implements LiveView {
  readonly #term: Terminal;
  readonly #colour: boolean;
  readonly #frame: LiveFrame;
  #head: Line[] = [];
  #last: Snapshot | undefined;
  #intervalMs = 1000;
  #file = '';

  constructor(term: Terminal, colour: boolean) {
    this.#term = term;
    this.#colour = colour;
    this.#frame = new LiveFrame(term, colour);
  }

  started(file: string, registrations: Registration[], intervalMs: number): void {
    this.#file = file;
    this.#intervalMs = intervalMs;
    this.#head = registrations.map((r) => [{ text: '  ● ', tone: 'good' }, { text: registrationText(r) }] as Line);
    this.#frame.draw(this.#lines({ elapsedMs: 0, rows: [], skipped: [] }, 'starting'));
  }

  refresh(snapshot: Snapshot): void {
    this.#last = snapshot;
    this.#frame.draw(this.#lines(snapshot, 'running'));
  }

  event(record: EventRecord): void {
    const width = Math.max(1, this.#term.columns() - 1);
    this.#frame.printAbove([renderLine([{ text: `${record.map}: `, tone: 'accent' }, { text: showRecord(record.value) }], width, this.#colour)]);
  }

  ended(report: EndReport, last: Snapshot): void {
    this.#frame.draw(this.#lines(last ?? this.#last, 'ended'));
    this.#frame.close();
    const tone = report.exitStatus === 0 || report.signal ? 'plain' : 'bad';
    const width = Math.max(1, this.#term.columns() - 1);
    this.#term.write(endLines(report).map((l) => `${renderLine([{ text: l, tone }], width, this.#colour)}\n`).join(''));
  }

  /** The terminal changed size. */
  resized(): void {
    this.#frame.resized();
  }

  close(): void {
    this.#frame.close();
  }

  #lines(s: Snapshot, phase: 'starting' | 'running' | 'ended'): Line[] {
    const width = Math.max(20, this.#term.columns() - 1);
    const status = phase === 'running' ? `every ${this.#intervalMs / 1000} s · Ctrl-C to stop` : phase;
    const lines: Line[] = [
      [{ text: `struct-ops run ${basename(this.#file)}`, tone: 'bold' }, { text: ` · ${showElapsed(s.elapsedMs)} · ${status}`, tone: 'dim' }],
      ...this.#head,
      ...(phase === 'starting' ? [] : tableLines(s.rows, width)),
    ];
    if (s.skipped.length > 0) lines.push([{ text: `  not shown (arrays/structs too large): ${s.skipped.join(', ')}`, tone: 'dim' }]);
    return lines;
  }
}
