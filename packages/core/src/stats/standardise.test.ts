import { describe, expect, it } from 'vitest';
import { applyStandardiser, fitStandardiser } from './standardise.js';

describe('fitStandardiser / applyStandardiser', () => {
  it('fits per-dimension mean and population std on row-major features', () => {
    // arrange: 3 rows × 2 dims, column 0 = 1, 2, 3 and column 1 = 10, 20, 60
    const features = Float32Array.from([1, 10, 2, 20, 3, 60]);

    // act
    const standardiser = fitStandardiser(features, 2);

    // assert
    expect(Array.from(standardiser.mean)).toEqual([2, 30]);
    expect(standardiser.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 6);
    expect(standardiser.std[1]).toBeCloseTo(Math.sqrt(1400 / 3), 3);
  });

  it('maps the training rows to mean 0 and std 1 per dimension, leaving the input unchanged', () => {
    // arrange: dims on very different scales, as real features are (Hz, dB, ratios)
    const rows = 50;
    const features = Float32Array.from({ length: rows * 3 }, (_, i) => {
      const [row, dim] = [Math.floor(i / 3), i % 3];
      return [3000 + 40 * Math.sin(row), -35 + 6 * Math.cos(row * 1.7), 0.2 + 0.05 * ((row * 7) % 11)][dim]!;
    });
    const copy = features.slice();

    // act
    const standardised = applyStandardiser(features, fitStandardiser(features, 3));

    // assert
    expect(features).toEqual(copy);
    for (let dim = 0; dim < 3; dim++) {
      const column = Array.from({ length: rows }, (_, row) => standardised[row * 3 + dim]!);
      const mean = column.reduce((a, b) => a + b, 0) / rows;
      const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
      expect(mean).toBeCloseTo(0, 4);
      expect(std).toBeCloseTo(1, 3);
    }
  });

  it('gives a constant dimension std 1 (so it standardises to 0, not to NaN)', () => {
    // arrange
    const features = Float32Array.from([5, 12345.678, 6, 12345.678, 7, 12345.678]);

    // act
    const standardiser = fitStandardiser(features, 2);
    const standardised = applyStandardiser(features, standardiser);

    // assert
    expect(standardiser.std[1]).toBe(1);
    expect([standardised[1], standardised[3], standardised[5]]).toEqual([0, 0, 0]);
  });

  it('applies training statistics to unseen rows', () => {
    // arrange
    const standardiser = fitStandardiser(Float32Array.from([0, 2]), 1);

    // act
    const applied = applyStandardiser(Float32Array.from([4, -1]), standardiser);

    // assert: mean 1, std 1
    expect(Array.from(applied)).toEqual([3, -2]);
  });
});
