/** A point of a time series: x in any unit (e.g. ms), y the value. */
export interface Point {
  x: number;
  y: number;
}

/**
 * Draws a line chart of `points` in a terminal: `width` columns, `height` rows, each
 * column showing the largest y of the samples that fall into it. Returns the lines.
 */
export function drawChart(points: Point[], opts: { width?: number; height?: number; yLabel?: string; xLabel?: string } = {}): string[] {
  const width = opts.width ?? 64;
  const height = opts.height ?? 12;
  if (points.length === 0) return ['(no samples)'];
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const yMax = Math.max(1, ...points.map((p) => p.y));
  const columns = new Array<number>(width).fill(-1);
  for (const p of points) {
    const col = xMax === xMin ? 0 : Math.min(width - 1, Math.floor(((p.x - xMin) / (xMax - xMin)) * width));
    columns[col] = Math.max(columns[col], p.y);
  }
  const labelWidth = String(yMax).length;
  const lines: string[] = [];
  if (opts.yLabel) lines.push(opts.yLabel);
  for (let row = height - 1; row >= 0; row--) {
    const threshold = (row / height) * yMax;
    const label = row === height - 1 ? String(yMax) : row === 0 ? '0' : '';
    let line = `${label.padStart(labelWidth)} |`;
    for (const v of columns) line += v < 0 ? ' ' : v > threshold ? (v >= threshold + yMax / height ? '█' : '▄') : ' ';
    lines.push(line);
  }
  lines.push(`${' '.repeat(labelWidth)} +${'-'.repeat(width)}`);
  const span = `${Math.round(xMax - xMin)}`;
  const footer = opts.xLabel ? `0 ${opts.xLabel}` : '0';
  lines.push(`${' '.repeat(labelWidth + 2)}${footer}${span.padStart(Math.max(1, width - footer.length))}`);
  return lines;
}
