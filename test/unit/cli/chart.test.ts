import { drawChart } from '../../../lib/cli/chart';

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
