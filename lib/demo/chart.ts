// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause

/**
 * A piece of a chart line; a terminal with colour shows its tone (`accent` for the bars,
 * `dim` for notes). The CLI's styled lines (lib/cli/view/style.ts) take these as they are.
 */
export interface ChartSegment {
  text: string;
  tone?: 'accent' | 'dim';
}

/** One line of a chart, drawn left to right. */
export type ChartLine = ChartSegment[];

/** A point of a time series: x in any unit (e.g. ms), y the value. */
export interface Point {
  x: number;
  y: number;
}

export interface ChartOptions {
  /** Columns of the plot itself (default 64). */
  width?: number;
  height?: number;
  /**
   * Columns a whole line may take (y labels, axis and plot): the plot narrows to fit, so a
   * chart drawn for a terminal never wraps. Unset: `width` as it is.
   */
  columns?: number;
  yLabel?: string;
  xLabel?: string;
}

/** The narrowest plot drawn, however few columns there are (the terminal cuts the rest). */
const MIN_PLOT_WIDTH = 8;

/**
 * Draws a time series in a terminal: `width` columns by `height` rows. Each column covers an
 * equal slice of x and shows the range of y seen in it (min to max, joined to the previous
 * column's last sample) as a bar, so a sawtooth stays visible even with many samples per
 * column. Returns the lines.
 */
export function drawChart(points: Point[], opts: ChartOptions = {}): string[] {
  return chartLines(points, opts).map((line) => line.map((s) => s.text).join(''));
}

/** {@link drawChart} as styled lines: the bars are `accent`, for a terminal that has colour. */
export function chartLines(points: Point[], opts: ChartOptions = {}): ChartLine[] {
  const height = opts.height ?? 12;
  if (points.length === 0) return [[{ text: '(no samples)', tone: 'dim' }]];
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const yMax = Math.max(1, ...points.map((p) => p.y));
  const labelWidth = String(yMax).length;
  let width = opts.width ?? 64;
  if (opts.columns !== undefined) width = Math.max(MIN_PLOT_WIDTH, Math.min(width, opts.columns - labelWidth - 2));
  const lo = new Array<number>(width).fill(Infinity);
  const hi = new Array<number>(width).fill(-Infinity);
  const last = new Array<number | undefined>(width).fill(undefined);
  for (const p of [...points].sort((a, b) => a.x - b.x)) {
    const col = xMax === xMin ? 0 : Math.min(width - 1, Math.floor(((p.x - xMin) / (xMax - xMin)) * width));
    lo[col] = Math.min(lo[col], p.y);
    hi[col] = Math.max(hi[col], p.y);
    last[col] = p.y;
  }
  // Join each column to the previous one's last sample, so the series reads as a line.
  let prev: number | undefined;
  for (let c = 0; c < width; c++) {
    if (last[c] === undefined) continue;
    if (prev !== undefined) {
      lo[c] = Math.min(lo[c], prev);
      hi[c] = Math.max(hi[c], prev);
    }
    prev = last[c];
  }
  const rowOf = (y: number): number => Math.min(height - 1, Math.floor((y / yMax) * height - 1e-9));
  const lines: ChartLine[] = [];
  if (opts.yLabel) lines.push([{ text: opts.yLabel }]);
  for (let row = height - 1; row >= 0; row--) {
    const label = row === height - 1 ? String(yMax) : row === 0 ? '0' : '';
    let bars = '';
    for (let c = 0; c < width; c++) {
      bars += hi[c] < 0 || row > rowOf(hi[c]) || row < rowOf(lo[c]) ? ' ' : '█';
    }
    lines.push([{ text: `${label.padStart(labelWidth)} |` }, { text: bars, tone: 'accent' }]);
  }
  lines.push([{ text: `${' '.repeat(labelWidth)} +${'-'.repeat(width)}` }]);
  const span = `${Math.round(xMax - xMin)}`;
  const footer = opts.xLabel ? `0 ${opts.xLabel}` : '0';
  lines.push([{ text: `${' '.repeat(labelWidth + 2)}${footer}${span.padStart(Math.max(1, width - footer.length))}` }]);
  return lines;
}
