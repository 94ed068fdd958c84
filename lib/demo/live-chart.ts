// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A chart redrawn in place on a terminal while its data streams in (the demo's cwnd during
 * the transfer). It draws into a {@link LiveBlock} (the CLI's live frame): each redraw
 * replaces the previous frame, as wide as the block is at that moment; `finish` draws the
 * final chart into the same block and leaves it on screen. The terminal itself (cursor
 * moves, colour) is the block's business, so the demo needs nothing of the CLI.
 */
import { chartLines, type ChartLine, type ChartOptions, type Point } from './chart';

/** A block of lines redrawn in place at the bottom of a terminal. */
export interface LiveBlock {
  /** Replaces the block with `lines`. */
  draw(lines: ChartLine[]): void;
  /** Columns a line may take now (the terminal's width, less any the block keeps free). */
  columns(): number;
  /** Leaves the last block on screen and gives the cursor back. Idempotent. */
  close(): void;
}

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
  readonly #block: LiveBlock;
  readonly #source: LiveChartSource;
  readonly #chart: ChartOptions;
  #timer: NodeJS.Timeout | undefined;
  #drawnVersion: number | undefined;
  #frames = 0;

  /** Draws the first frame at once, then one per tick that brought new points. */
  constructor(block: LiveBlock, source: LiveChartSource, options: LiveChartOptions) {
    this.#block = block;
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
    this.#block.close();
  }

  /** Stops the ticks and gives the cursor back, leaving the last frame. Idempotent. */
  close(): void {
    this.#stop();
    this.#block.close();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #draw(): void {
    this.#drawnVersion = this.#source.version();
    const label = this.#chart.yLabel ? `${this.#chart.yLabel} · ` : '';
    const head: ChartLine = [{ text: `${label}${this.#source.status()}`, tone: 'dim' }];
    this.#render([head, ...chartLines(this.#source.points(), { ...this.#chart, yLabel: undefined, columns: this.#columns() })]);
  }

  #render(lines: ChartLine[]): void {
    this.#block.draw(lines);
    this.#frames++;
  }

  #columns(): number {
    return Math.max(1, this.#block.columns());
  }
}
