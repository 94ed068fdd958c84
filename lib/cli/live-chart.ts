// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A chart redrawn in place on a terminal while its data streams in (the demo's cwnd during
 * the transfer). It is a block of the live view's {@link LiveFrame}: each redraw moves the
 * cursor back over the previous frame and overwrites it (no blanking, so no flicker), as
 * wide as the terminal is at that moment; `finish` draws the final chart into the same
 * block and leaves it on screen.
 */
import { chartLines, type ChartOptions, type Point } from './chart';
import { LiveFrame, type Terminal } from './view/frame';
import type { Line } from './view/style';

/** What the chart shows, asked for at every tick. */
export interface LiveChartSource {
  /** The series so far. */
  points(): Point[];
  /** Follows the chart's label on its first line while live (elapsed time, sample count). */
  status(): string;
  /** Changes whenever `points` does (a sample count): a tick without news draws nothing. */
  version(): number;
}

export interface LiveChartOptions {
  /** Time between ticks. */
  intervalMs: number;
  /** How the chart is drawn (its width is cut to the terminal's). */
  chart: ChartOptions;
}

export class LiveChart {
  readonly #term: Terminal;
  readonly #frame: LiveFrame;
  readonly #source: LiveChartSource;
  readonly #chart: ChartOptions;
  #timer: NodeJS.Timeout | undefined;
  #drawnVersion: number | undefined;
  #frames = 0;

  /** Draws the first frame at once, then one per tick that brought new points. */
  constructor(term: Terminal, colour: boolean, source: LiveChartSource, options: LiveChartOptions) {
    this.#term = term;
    this.#frame = new LiveFrame(term, colour);
    this.#source = source;
    this.#chart = options.chart;
    this.#draw();
    this.#timer = setInterval(() => {
      if (this.#source.version() !== this.#drawnVersion) this.#draw();
    }, options.intervalMs);
    // The transfer keeps the process alive; a chart alone never should.
    this.#timer.unref();
  }

  /** Frames drawn so far (the final one included). */
  get frames(): number {
    return this.#frames;
  }

  /** The terminal changed size: redraw now, for the new width. */
  resized(): void {
    if (this.#timer !== undefined) this.#draw();
  }

  /** Stops the ticks, draws the final chart of `points` into the block and leaves it. */
  finish(points: Point[]): void {
    if (this.#timer === undefined) return;
    this.#stop();
    this.#render(chartLines(points, { ...this.#chart, columns: this.#columns() }));
    this.#frame.close();
  }

  /** Stops the ticks and gives the cursor back, leaving the last frame. Idempotent. */
  close(): void {
    this.#stop();
    this.#frame.close();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #draw(): void {
    this.#drawnVersion = this.#source.version();
    const label = this.#chart.yLabel ? `${this.#chart.yLabel} · ` : '';
    const head: Line = [{ text: `${label}${this.#source.status()}`, tone: 'dim' }];
    this.#render([head, ...chartLines(this.#source.points(), { ...this.#chart, yLabel: undefined, columns: this.#columns() })]);
  }

  #render(lines: Line[]): void {
    this.#frame.draw(lines);
    this.#frames++;
  }

  /** LiveFrame keeps the last column free (some terminals wrap on writing it). */
  #columns(): number {
    return Math.max(1, this.#term.columns() - 1);
  }
}
