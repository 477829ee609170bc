import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { aggregateCoordinateMedian } from './coordinate-median.js';
import { fitStandardiser } from '../stats/standardise.js';
import { combineMoments, computeMoments } from './moments.js';
import { clipByGlobalNorm, globalNorm } from './norm-clip.js';
import { aggregateTrimmedMean } from './trimmed-mean.js';
import { aggregateWeightedMean } from './weighted-mean.js';

/** A snapshot with a 2-vector and a 0-d scalar. */
function snapshot(vector: [number, number], scalar: number): WeightSnapshot {
  return [
    { name: 'layer/kernel', shape: [2], values: Float32Array.from(vector) },
    { name: 'layer/scale', shape: [], values: Float32Array.from([scalar]) },
  ];
}

const values = (s: WeightSnapshot): number[][] => s.map((t) => Array.from(t.values));

describe('aggregateWeightedMean (FedAvg)', () => {
  it('weights each update by its example count and leaves inputs unchanged', () => {
    // arrange
    const a = snapshot([0, 10], 1);
    const b = snapshot([4, 20], 3);
    const before = JSON.stringify([values(a), values(b)]);

    // act
    const result = aggregateWeightedMean([
      { weights: a, numExamples: 1 },
      { weights: b, numExamples: 3 },
    ]);

    // assert
    expect(values(result)).toEqual([[3, 17.5], [2.5]]);
    expect(result.map((t) => t.shape)).toEqual([[2], []]);
    expect(JSON.stringify([values(a), values(b)])).toBe(before);
  });

  it('returns a single site update unchanged in value', () => {
    expect(values(aggregateWeightedMean([{ weights: snapshot([1, 2], 3), numExamples: 7 }]))).toEqual([[1, 2], [3]]);
  });

  it('refuses a zero total and mismatched layouts', () => {
    expect(() => aggregateWeightedMean([{ weights: snapshot([1, 2], 3), numExamples: 0 }])).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidOption }),
    );
    const other: WeightSnapshot = [
      { name: 'layer/kernel', shape: [3], values: new Float32Array(3) },
      snapshot([0, 0], 0)[1]!,
    ];
    expect(() =>
      aggregateWeightedMean([
        { weights: snapshot([1, 2], 3), numExamples: 1 },
        { weights: other, numExamples: 1 },
      ]),
    ).toThrow(/expected "layer\/kernel" \[2\]/);
  });
});

describe('aggregateCoordinateMedian', () => {
  it('takes the median per coordinate, robust to one outlier', () => {
    // act
    const result = aggregateCoordinateMedian([snapshot([1, 100], 5), snapshot([2, -3], 6), snapshot([1000, 0], 7)]);

    // assert
    expect(values(result)).toEqual([[2, 0], [6]]);
  });

  it('averages the two middle values for an even count', () => {
    expect(values(aggregateCoordinateMedian([snapshot([1, 4], 0), snapshot([3, 8], 2)]))).toEqual([[2, 6], [1]]);
  });
});

describe('aggregateTrimmedMean', () => {
  it('drops the extremes per coordinate before averaging', () => {
    // arrange: five sites, β = 0.2 → drop one high and one low value per coordinate
    const sites = [
      snapshot([1, 0], 0),
      snapshot([2, 0], 0),
      snapshot([3, 0], 0),
      snapshot([4, 0], 0),
      snapshot([100, 0], 9),
    ];

    // act
    const result = aggregateTrimmedMean(sites, 0.2);

    // assert
    expect(values(result)).toEqual([[3, 0], [0]]);
  });

  it('is the plain mean at β = 0 and rejects β ≥ 0.5', () => {
    expect(values(aggregateTrimmedMean([snapshot([1, 2], 3), snapshot([3, 4], 5)], 0))).toEqual([[2, 3], [4]]);
    expect(() => aggregateTrimmedMean([snapshot([1, 2], 3)], 0.5)).toThrow(/trim fraction/);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales an update above the bound down to it and leaves one below unchanged', () => {
    // arrange: norm of [3, 4] and 0 is 5
    const update = snapshot([3, 4], 0);

    // act
    const clipped = clipByGlobalNorm(update, 1);
    const untouched = clipByGlobalNorm(update, 10);

    // assert
    expect(globalNorm(update)).toBe(5);
    expect(globalNorm(clipped)).toBeCloseTo(1, 6);
    expect(values(clipped)[0]![0]).toBeCloseTo(0.6, 6);
    expect(values(untouched)).toEqual(values(update));
    expect(values(update)).toEqual([[3, 4], [0]]);
  });
});

describe('combineMoments', () => {
  it('gives the pooled mean and std without pooling the rows', () => {
    // arrange: two sites, one dimension: {1, 3} and {5}
    const siteA = computeMoments(Float32Array.from([1, 3]), 1);
    const siteB = computeMoments(Float32Array.from([5]), 1);

    // act
    const { mean, std } = combineMoments([siteA, siteB]);

    // assert: pooled {1, 3, 5}: mean 3, population std sqrt(8/3)
    expect(siteA.variance[0]).toBe(1);
    expect(mean[0]).toBeCloseTo(3, 6);
    expect(std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
  });

  it('equals the standardiser fitted on the pooled rows for a column with a large offset', () => {
    // arrange: values around 10 000 with a spread of about 1, split unevenly over three sites
    const rows = Float32Array.from({ length: 60 }, (_, i) => 10_000 + Math.sin(i * 1.7) + (i % 7) * 0.1);
    const sites = [rows.subarray(0, 7), rows.subarray(7, 31), rows.subarray(31)].map((part) => computeMoments(part, 1));

    // act
    const combined = combineMoments(sites);
    const pooled = fitStandardiser(rows, 1);

    // assert
    expect(combined.mean[0]).toBeCloseTo(pooled.mean[0]!, 2);
    expect(combined.std[0]! / pooled.std[0]!).toBeCloseTo(1, 4);
  });

  it('refuses sites with different dimensions', () => {
    expect(() =>
      combineMoments([computeMoments(Float32Array.from([1, 2]), 2), computeMoments(Float32Array.from([1]), 1)]),
    ).toThrow(/dimensions/);
  });
});
