import { describe, expect, it } from 'vitest';
import { FUNCTIONAL_NAMES, percentileOfSorted, summarise, summariseDelta } from './functionals.js';

/** summarise() as a name → value record, in FUNCTIONAL_NAMES order. */
function summariseByName(values: number[], times: number[]): Record<(typeof FUNCTIONAL_NAMES)[number], number> {
  const result = summarise(values, times);
  return Object.fromEntries(FUNCTIONAL_NAMES.map((name, i) => [name, result[i]!])) as Record<
    (typeof FUNCTIONAL_NAMES)[number],
    number
  >;
}

describe('summarise', () => {
  it('gives mean, population std, 20/50/80th percentiles and slope of a line', () => {
    // arrange: 1..5 at t = 0..4 s
    const values = [1, 2, 3, 4, 5];
    const times = [0, 1, 2, 3, 4];

    // act
    const result = summariseByName(values, times);

    // assert
    expect(result.mean).toBe(3);
    expect(result.std).toBeCloseTo(Math.sqrt(2), 12);
    expect(result.p20).toBeCloseTo(1.8, 12); // position 0.2·4 = 0.8 between 1 and 2
    expect(result.p50).toBe(3);
    expect(result.p80).toBeCloseTo(4.2, 12);
    expect(result.slope).toBeCloseTo(1, 12);
  });

  it('sorts for percentiles but not for the slope, and leaves its inputs unchanged', () => {
    // arrange: the classic population-std-2 data, falling over time at 0.5 s steps
    const values = [9, 7, 5, 5, 4, 4, 4, 2];
    const times = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5];
    const [valuesCopy, timesCopy] = [[...values], [...times]];

    // act
    const result = summariseByName(values, times);

    // assert
    expect(result.mean).toBe(5);
    expect(result.std).toBe(2);
    expect(result.p50).toBe(4.5);
    expect(result.p20).toBeCloseTo(4, 12); // position 1.4 in [2,4,4,4,5,5,7,9]
    expect(result.p80).toBeCloseTo(6.2, 12); // position 5.6: 5 + 0.6·(7 − 5)
    // least squares: Σ(v − 5)(t − 1.75) / Σ(t − 1.75)² = −17 / 10.5 per second
    expect(result.slope).toBeCloseTo(-17 / 10.5, 12);
    expect(values).toEqual(valuesCopy);
    expect(times).toEqual(timesCopy);
  });

  it('gives zeros for empty input, one per functional', () => {
    // arrange / act
    const result = summarise([], []);

    // assert
    expect(result).toEqual(FUNCTIONAL_NAMES.map(() => 0));
  });

  it('gives the value, zero spread and zero slope for a single value', () => {
    // arrange / act
    const result = summariseByName([-3.5], [0.7]);

    // assert
    expect(result).toEqual({ mean: -3.5, std: 0, p20: -3.5, p50: -3.5, p80: -3.5, slope: 0 });
  });

  it('sorts negative values numerically (not as strings)', () => {
    // arrange
    const values = [-10, 2, -1, 10, 0];

    // act
    const result = summariseByName(values, [0, 1, 2, 3, 4]);

    // assert: sorted [-10, -1, 0, 2, 10]
    expect(result.p50).toBe(0);
    expect(result.p20).toBeCloseTo(-10 + 0.8 * 9, 12);
  });
});

describe('percentileOfSorted', () => {
  it('interpolates linearly like numpy, and is 0 for no values', () => {
    // arrange
    const sorted = Float64Array.from([10, 20, 30, 40]);

    // act / assert
    expect(percentileOfSorted(sorted, 0)).toBe(10);
    expect(percentileOfSorted(sorted, 1)).toBe(40);
    expect(percentileOfSorted(sorted, 0.5)).toBe(25);
    expect(percentileOfSorted(sorted, 0.25)).toBeCloseTo(17.5, 12);
    expect(percentileOfSorted(new Float64Array(0), 0.5)).toBe(0);
  });
});

describe('summariseDelta', () => {
  it('gives mean |Δ| and population std of Δ, and zeros for no deltas', () => {
    // arrange
    const deltas = [1, -3, 2, -2];

    // act
    const [meanAbs, std] = summariseDelta(deltas);

    // assert: mean |Δ| = 8/4, mean Δ = −0.5, variance = (2.25 + 6.25 + 6.25 + 2.25)/4 = 4.25
    expect(meanAbs).toBe(2);
    expect(std).toBeCloseTo(Math.sqrt(4.25), 12);
    expect(summariseDelta([])).toEqual([0, 0]);
  });
});
