import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { measureUpdateDrift } from './drift.js';

/** An update with a 2-vector and a 0-d scalar. */
function update(vector: [number, number], scalar = 0): WeightSnapshot {
  return [
    { name: 'layer/kernel', shape: [2], values: Float32Array.from(vector) },
    { name: 'layer/scale', shape: [], values: Float32Array.from([scalar]) },
  ];
}

const values = (s: WeightSnapshot): number[][] => s.map((t) => Array.from(t.values));

describe('measureUpdateDrift', () => {
  it('gives orthogonal updates a pairwise cosine of 0 and each a cosine of 1/√2 with their mean', () => {
    // arrange: [1, 0] and [0, 1] → mean [0.5, 0.5], norm √0.5
    const a = update([1, 0]);
    const b = update([0, 1]);
    const before = JSON.stringify([values(a), values(b)]);

    // act
    const drift = measureUpdateDrift([a, b]);

    // assert
    expect(drift.meanNorm).toBeCloseTo(Math.SQRT1_2, 12);
    expect(drift.cosineToMean[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(drift.cosineToMean[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(drift.meanPairwiseCosine).toBeCloseTo(0, 12);
    expect(JSON.stringify([values(a), values(b)])).toBe(before);
  });

  it('counts the 0-d tensor: aligned updates of different lengths have cosine 1 everywhere', () => {
    // arrange: (3, 0, 4) and (6, 0, 8) point the same way; the mean is (4.5, 0, 6), norm 7.5
    const drift = measureUpdateDrift([update([3, 0], 4), update([6, 0], 8)]);

    // assert
    expect(drift.meanNorm).toBeCloseTo(7.5, 12);
    expect(drift.cosineToMean).toEqual([1, 1]);
    expect(drift.meanPairwiseCosine).toBe(1);
  });

  it('averages the cosine over all pairs of three updates', () => {
    // arrange: pairs (a, b) = 0, (a, c) = 1, (b, c) = 0 → mean pairwise cosine 1/3
    const drift = measureUpdateDrift([update([1, 0]), update([0, 2]), update([5, 0])]);

    // assert: mean (2, 2/3): cosine of a with it 2 / √(4 + 4/9)
    expect(drift.meanPairwiseCosine).toBeCloseTo(1 / 3, 12);
    expect(drift.cosineToMean[0]).toBeCloseTo(2 / Math.sqrt(4 + 4 / 9), 6);
    expect(drift.meanNorm).toBeCloseTo(Math.sqrt(4 + 4 / 9), 6);
  });

  it('gives opposite updates a pairwise cosine of -1, and no direction to a zero mean or a zero update', () => {
    // act
    const opposite = measureUpdateDrift([update([1, 2]), update([-1, -2])]);
    const withZero = measureUpdateDrift([update([1, 2]), update([0, 0])]);

    // assert
    expect(opposite.meanNorm).toBe(0);
    expect(opposite.cosineToMean).toEqual([null, null]);
    expect(opposite.meanPairwiseCosine).toBeCloseTo(-1, 12);
    expect(withZero.cosineToMean[0]).toBeCloseTo(1, 12);
    expect(withZero.cosineToMean[1]).toBeNull();
    expect(withZero.meanPairwiseCosine).toBeNull();
  });

  it('measures a single site: cosine 1 with itself, no pairs', () => {
    // act
    const drift = measureUpdateDrift([update([3, 4])]);

    // assert
    expect(drift).toEqual({ meanNorm: 5, cosineToMean: [1], meanPairwiseCosine: null });
  });

  it('refuses no updates and updates of different layouts', () => {
    expect(() => measureUpdateDrift([])).toThrow(expect.objectContaining({ code: ERROR_CODES.invalidOption }));
    const other: WeightSnapshot = [{ name: 'layer/kernel', shape: [3], values: new Float32Array(3) }];
    expect(() => measureUpdateDrift([update([1, 2]), other])).toThrow(
      expect.objectContaining({ code: ERROR_CODES.bundleMismatch }),
    );
  });
});
