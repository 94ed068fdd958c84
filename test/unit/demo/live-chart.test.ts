import { drawChart, type Point } from '../../../lib/demo/chart';
import { LiveChart } from '../../../lib/demo/live-chart';
import { LiveFrame } from '../../../lib/cli/view/frame';
import { fakeTerminal } from '../../helpers/fake-terminal';

/** Frames in what a LiveChart wrote: each redraw starts by moving the cursor back up. */
function frames(text: string): string[] {
  return text.replace('\x1b[?25l', '').replace('\x1b[?25h', '').split(/\r\x1b\[\d+A/);
}

/** A frame's visible lines, without the clear-to-end sequences. */
function visible(frame: string): string[] {
  return frame.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').filter((l) => l !== '');
}

describe('LiveChart', () => {
  let points: Point[];
  const source = { points: () => points, version: () => points.length, status: () => `${points.length} samples` };

  beforeEach(() => {
    jest.useFakeTimers();
    points = [];
  });
  afterEach(() => jest.useRealTimers());

  test('draws at once, then one frame per tick that brought points, each over the last; finish leaves the final chart', () => {
    const term = fakeTerminal(80);
    const chart = new LiveChart(new LiveFrame(term, false), source, { intervalMs: 250, chart: { yLabel: 'cwnd', height: 4 } });
    expect(chart.frames).toBe(1);
    expect(visible(frames(term.text)[0])).toEqual(['cwnd · 0 samples', '(no samples)']);
    points.push({ x: 0, y: 10 }, { x: 5, y: 20 });
    jest.advanceTimersByTime(250);
    jest.advanceTimersByTime(250); // nothing new: no frame
    expect(chart.frames).toBe(2);
    const [, second] = frames(term.text);
    expect(visible(second)[0]).toBe('cwnd · 2 samples');
    // The cursor goes back exactly over the rows of the frame before (2 lines).
    expect(term.text).toContain('\r\x1b[2A');
    points.push({ x: 10, y: 5 });
    chart.finish(points);
    expect(chart.frames).toBe(3);
    const all = frames(term.text);
    expect(all).toHaveLength(3);
    // The final frame is the chart as printed without a terminal, at the terminal's width.
    expect(visible(all[2])).toEqual(drawChart(points, { yLabel: 'cwnd', height: 4, columns: 79 }));
    expect(term.text.endsWith('\x1b[?25h')).toBe(true);
    jest.advanceTimersByTime(1000);
    expect(chart.frames).toBe(3);
  });

  test('every line fits the terminal, also after it narrows', () => {
    points = Array.from({ length: 200 }, (_, i) => ({ x: i, y: i % 50 }));
    const term = fakeTerminal(100);
    const chart = new LiveChart(new LiveFrame(term, false), source, { intervalMs: 250, chart: { width: 200 } });
    const widest = (): number => Math.max(...visible(frames(term.text).at(-1)!).map((l) => [...l].length));
    expect(widest()).toBe(99);
    term.width = 40;
    chart.resized();
    expect(chart.frames).toBe(2);
    expect(widest()).toBe(39);
    chart.close();
  });

  test('colour only when allowed (NO_COLOR off): the bars in accent, nothing else', () => {
    points = [{ x: 0, y: 1 }, { x: 1, y: 2 }];
    const plainTerm = fakeTerminal(80);
    new LiveChart(new LiveFrame(plainTerm, false), source, { intervalMs: 250, chart: {} }).close();
    expect(plainTerm.text).not.toMatch(/\x1b\[[0-9;]*m/);
    const colourTerm = fakeTerminal(80);
    new LiveChart(new LiveFrame(colourTerm, true), source, { intervalMs: 250, chart: {} }).close();
    expect(colourTerm.text).toMatch(/\x1b\[36m█+/);
  });
});
