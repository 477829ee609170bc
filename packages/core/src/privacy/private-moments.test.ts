import { describe, expect, it } from 'vitest';
import { combineMoments, computeMoments } from '../aggregation/moments.js';
import { createRng, normalSamples } from '../random/rng.js';
import {
  clippedSums,
  DEFAULT_MOMENTS_NOISE_MULTIPLIER,
  momentSensitivities,
  privateMoments,
  privateMomentsMechanism,
  quantileHistogram,
  scaleHistogram,
  type DimensionRanges,
} from './private-moments.js';
import { epsilonFromRdp, epsilonOf, rdpCurve } from './rdp-accountant.js';

/**
 * Rows of realistic columns on unrelated scales: a pitch around 30 (std 3), an energy around 0.01
 * (skewed), an MFCC around 0 (std 1), a heavy-tailed slope, a loudness around −28 dB and a spectral
 * centroid around 2,800 Hz.
 */
const DIMENSION = 6;
function realisticRows(rows: number, seed: number): Float32Array {
  const noise = normalSamples(rows * DIMENSION, createRng(seed));
  return Float32Array.from(noise, (z, i) => {
    const t = noise[i - (i % DIMENSION)]!;
    switch (i % DIMENSION) {
      case 0:
        return 30 + 3 * z;
      case 1:
        return 0.01 * Math.exp(0.3 * z);
      case 2:
        return z;
      case 3:
        return z / Math.sqrt(0.5 + 4 * Math.abs(t) ** 2); // scale mixture: heavier tails than Gaussian
      case 4:
        return -28 + 4 * z;
      default:
        return 2800 + 500 * z;
    }
  });
}

/** L2 distance of two equally long vectors. */
const distance = (a: Float64Array, b: Float64Array): number => Math.hypot(...a.map((x, i) => x - b[i]!));

/** The errors of private moments against exact ones: |Δmean| / std and |log(std ratio)|, averaged over dimensions. */
function errors(features: Float32Array, seed: number): { mean: number; logStd: number } {
  const exact = computeMoments(features, DIMENSION);
  const { moments } = privateMoments(features, DIMENSION, { seed });
  let [mean, logStd] = [0, 0];
  for (let d = 0; d < DIMENSION; d++) {
    const std = Math.sqrt(exact.variance[d]!);
    mean += Math.abs(moments.mean[d]! - exact.mean[d]!) / std / DIMENSION;
    logStd += Math.abs(Math.log(Math.sqrt(moments.variance[d]!) / std)) / DIMENSION;
  }
  return { mean, logStd };
}

describe('privateMoments', () => {
  it('finds every column at its own scale: its error shrinks with more rows', () => {
    // arrange
    const seeds = [1, 2, 3, 4];
    const average = (rows: number): { mean: number; logStd: number } => {
      const all = seeds.map((seed) => errors(realisticRows(rows, 100 + seed), seed));
      return {
        mean: all.reduce((sum, e) => sum + e.mean, 0) / seeds.length,
        logStd: all.reduce((sum, e) => sum + e.logStd, 0) / seeds.length,
      };
    };

    // act
    const [few, many, most] = [average(1000), average(8000), average(40000)];

    // assert: error ∝ 1/N for the noise; at 40,000 rows mean within 0.05 std and std within 10 %
    expect(many.mean).toBeLessThan(few.mean / 2);
    expect(most.mean).toBeLessThan(many.mean);
    expect(many.logStd).toBeLessThan(few.logStd);
    expect(most.mean).toBeLessThan(0.05);
    expect(most.logStd).toBeLessThan(0.1);
  });

  it('matches computeMoments when the noise vanishes and every row lies inside the found bounds', () => {
    // arrange: uniform columns at a pitch's, an energy's, an MFCC's and a centroid's scale
    const rng = createRng(5);
    const columns = [
      [29, 31],
      [0.009, 0.011],
      [-1, 1],
      [-5000, -4000],
    ] as const;
    const features = Float32Array.from({ length: 2000 * columns.length }, (_, i) => {
      const [low, high] = columns[i % columns.length]!;
      return low + (high - low) * rng.next();
    });
    const exact = computeMoments(features, columns.length);

    // act
    const released = privateMoments(features, columns.length, { noiseMultiplier: 1e-9, seed: 1 });

    // assert
    for (let d = 0; d < columns.length; d++) {
      for (let i = d; i < features.length; i += columns.length) {
        expect(features[i]!).toBeGreaterThanOrEqual(released.bounds.lower[d]!);
        expect(features[i]!).toBeLessThanOrEqual(released.bounds.upper[d]!);
      }
      const std = Math.sqrt(exact.variance[d]!);
      expect(Math.abs(released.moments.mean[d]! - exact.mean[d]!) / std).toBeLessThan(1e-4);
      expect(released.moments.variance[d]! / exact.variance[d]!).toBeCloseTo(1, 4);
    }
    expect(released.moments.count).toBe(2000);
  });

  it('bounds one row’s influence on each noise-free release by the sensitivity it claims', () => {
    // arrange: 200 rows, and rows to add that are as extreme as can be (outside, at the ends, NaN, ±∞)
    const dimension = 5;
    const base = realisticRows(200, 9).subarray(0, 200 * dimension);
    const ranges: DimensionRanges = {
      lower: Float64Array.from([20, 0.005, -2, -1, -40]),
      upper: Float64Array.from([40, 0.02, 2, 1, -20]),
    };
    const extremes = [
      [1e6, -1e6, 1e-30, Number.NaN, Number.POSITIVE_INFINITY],
      [40, 0.02, 2, 1, -20],
      [20, 0.005, -2, -1, -40],
      [30, 0.0125, 0, 0, -30],
      [Number.NEGATIVE_INFINITY, 2 ** 50, -(2 ** -50), 1, 7],
      [1e6, 1e6, 1e6, 1e6, 1e6],
    ];
    const sensitivity = momentSensitivities(dimension);
    const releases = [
      ['scale', (f: Float32Array) => scaleHistogram(f, dimension)],
      ['quantiles', (f: Float32Array) => quantileHistogram(f, dimension, ranges)],
      ['sums', (f: Float32Array) => clippedSums(f, dimension, ranges)],
    ] as const;

    for (const [name, release] of releases) {
      // act
      const without = release(base);
      const changes = extremes.map((row) => distance(release(Float32Array.from([...base, ...row])), without));
      const replaced = extremes.map((row) =>
        distance(release(Float32Array.from([...base.subarray(dimension), ...row])), without),
      );

      // assert: add/remove within the sensitivity (reached by some row), replace within twice it
      expect(Math.max(...changes), name).toBeLessThanOrEqual(sensitivity[name] + 1e-9);
      expect(Math.max(...changes), name).toBeGreaterThan(sensitivity[name] * (1 - 1e-9));
      expect(Math.max(...replaced), name).toBeLessThanOrEqual(2 * sensitivity[name] + 1e-9);
    }
    expect(sensitivity).toEqual({ scale: Math.sqrt(5), quantiles: Math.sqrt(5), sums: Math.sqrt(6.25) });
  });

  it('is deterministic per seed, and its noise differs between seeds', () => {
    // arrange
    const features = realisticRows(500, 3);

    // act
    const [first, again, other] = [1, 1, 2].map((seed) => privateMoments(features, DIMENSION, { seed }));

    // assert
    expect(again).toEqual(first);
    expect(other!.moments.mean).not.toEqual(first!.moments.mean);
    const rng = createRng(1);
    expect(privateMoments(features, DIMENSION, { rng })).toEqual(first);
  });

  it('reports a mechanism the accountant prices as its three releases together', () => {
    // arrange
    const { mechanism } = privateMoments(realisticRows(100, 1), DIMENSION, { seed: 0 });
    const sigma = DEFAULT_MOMENTS_NOISE_MULTIPLIER;
    // the releases one by one: shares 1, 1 and 3 are noise multipliers σ, σ and σ/√3 of one step each
    const releases = [sigma, sigma, sigma / Math.sqrt(3)].map((noiseMultiplier) =>
      rdpCurve({ samplingRate: 1, noiseMultiplier, steps: 1 }),
    );

    // act
    const spend = epsilonOf(mechanism, 1e-5);

    // assert
    expect(mechanism).toEqual({ samplingRate: 1, noiseMultiplier: 7, steps: 5 });
    expect(privateMomentsMechanism()).toEqual(mechanism);
    expect(spend.epsilon).toBeCloseTo(
      epsilonFromRdp(
        releases[0]!.map((_, i) => releases.reduce((sum, curve) => sum + curve[i]!, 0)),
        1e-5,
      ).epsilon,
      12,
    );
    // the Gaussian mechanism's RDP α/(2σ²) per step, 5 steps: ε = min over α of 5α/98 + log(1/δ)/(α − 1)
    const byHand = Math.min(...Array.from({ length: 255 }, (_, i) => (5 * (i + 2)) / 98 + Math.log(1e5) / (i + 1)));
    expect(spend.epsilon).toBeCloseTo(byHand, 12);
    expect(spend.epsilon).toBeCloseTo(1.584, 3);
  });

  it('gives a usable standardiser on degenerate input: no rows, a constant column, noise beyond the data', () => {
    // arrange
    const constant = Float32Array.from({ length: 300 }, (_, i) => [30, 0, -0.5][i % 3]!);
    const cases = [
      ['no rows', new Float32Array(0), 3],
      ['constant columns', constant, 3],
      ['three rows under heavy noise', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 3],
      [
        'non-finite values',
        Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, 1, 2, Number.NEGATIVE_INFINITY, 3]),
        3,
      ],
    ] as const;

    for (const [name, features, dimension] of cases) {
      for (const seed of [0, 1, 2]) {
        // act
        const { moments } = privateMoments(features, dimension, { seed, noiseMultiplier: 20 });
        const standardiser = combineMoments([moments]);

        // assert
        expect(moments.count, name).toBeGreaterThanOrEqual(1);
        for (let d = 0; d < dimension; d++) {
          expect(Number.isFinite(moments.mean[d]!), name).toBe(true);
          expect(moments.variance[d]!, name).toBeGreaterThan(0);
          expect(Number.isFinite(moments.variance[d]!), name).toBe(true);
          expect(standardiser.std[d]!, name).toBeGreaterThan(0);
          expect(Number.isFinite(standardiser.std[d]!), name).toBe(true);
        }
      }
    }
  });

  it('refuses a negative noise multiplier and features that are not whole rows', () => {
    expect(() => privateMoments(new Float32Array(6), 3, { noiseMultiplier: -1 })).toThrow(/noise multiplier/);
    expect(() => privateMoments(new Float32Array(7), 3)).toThrow(/not rows of 3 dimensions/);
  });
});
