import { describe, expect, it } from 'vitest';
import { pathChart } from './svg.js';

describe('pathChart', () => {
  it('places each point on the given ranges, inside the frame, one line per series', () => {
    // act
    const svg = pathChart(
      'frontier',
      'AUC',
      'UAR %',
      [
        {
          label: 'invariance',
          points: [
            { x: 0.65, y: 58.7 },
            { x: 0.62, y: 58.2 },
          ],
        },
        {
          label: 'DP',
          points: [
            { x: 0.65, y: 58.7 },
            { x: 0.5, y: 25 },
          ],
        },
      ],
      { x: [0.4, 0.8], y: [0, 100] },
    );

    // assert
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(circles).toHaveLength(4);
    // frame: x 48…408, y 24…260 (WIDTH 420, HEIGHT 300 less the margins)
    for (const [x, y] of circles) {
      expect(x).toBeGreaterThanOrEqual(48);
      expect(x).toBeLessThanOrEqual(408);
      expect(y).toBeGreaterThanOrEqual(24);
      expect(y).toBeLessThanOrEqual(260);
    }
    // AUC 0.5 is a quarter of the way along [0.4, 0.8]; UAR 25 a quarter of the way up
    expect(circles[3]![0]).toBeCloseTo(48 + 0.25 * 360, 1);
    expect(circles[3]![1]).toBeCloseTo(260 - 0.25 * 236, 1);
    expect(svg).toContain('>invariance<');
  });
});
