import { chartLines, drawChart } from '../../../lib/demo/chart';

describe('drawChart', () => {
  test('draws each column as the range of its samples joined to the previous one, scaled to the maximum', () => {
    const lines = drawChart([{ x: 0, y: 10 }, { x: 1, y: 5 }, { x: 2, y: 10 }, { x: 3, y: 1 }], { width: 4, height: 10 });
    expect(lines).toEqual([
      '10 |████',
      '   | ███',
      '   | ███',
      '   | ███',
      '   | ███',
      '   | ███',
      '   |   █',
      '   |   █',
      '   |   █',
      ' 0 |   █',
      '   +----',
      '    0  3',
    ]);
  });

  test('says so when there is nothing to draw', () => {
    expect(drawChart([])).toEqual(['(no samples)']);
  });
});

describe('chartLines', () => {
  const points = [{ x: 0, y: 100 }, { x: 10, y: 50 }, { x: 20, y: 100 }];

  test('columns narrows the plot so every line fits (labels and axis included)', () => {
    const lines = drawChart(points, { width: 64, columns: 30, yLabel: 'cwnd' });
    expect(Math.max(...lines.map((l) => [...l].length))).toBe(30);
    expect(lines).toContain(`    +${'-'.repeat(25)}`);
    // Without it the plot keeps its width.
    expect(drawChart(points, { width: 64 })).toContain(`    +${'-'.repeat(64)}`);
  });

  test('the bars are their own accent segment; the text is drawChart\'s', () => {
    const styled = chartLines(points, { width: 4, height: 2 });
    expect(styled[0]).toEqual([{ text: '100 |' }, { text: '█ ██', tone: 'accent' }]);
    expect(styled.map((l) => l.map((s) => s.text).join(''))).toEqual(drawChart(points, { width: 4, height: 2 }));
  });
});
