import { describe, expect, it } from 'vitest';
import { addShimmer, applyPeakingFilter, applySpectralTilt } from './dsp.ts';
import { rngFor } from './prng.ts';

function sine(frequencyHz: number, sampleRateHz: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sampleRateHz) }, (_, n) =>
    Math.sin((2 * Math.PI * frequencyHz * n) / sampleRateHz),
  );
}

/** RMS over the middle half, away from the zero-padded edges. */
function middleRms(samples: Float32Array): number {
  const middle = samples.subarray(samples.length / 4, (3 * samples.length) / 4);
  return Math.sqrt(middle.reduce((sum, x) => sum + x * x, 0) / middle.length);
}

describe('applySpectralTilt', () => {
  it('brightens with a positive tilt and darkens with a negative one', () => {
    // arrange
    const low = sine(200, 16000, 0.2);
    const high = sine(4000, 16000, 0.2);
    const highToLow = (tilt: number): number =>
      middleRms(applySpectralTilt(high, tilt)) / middleRms(applySpectralTilt(low, tilt));

    // act / assert
    expect(highToLow(0)).toBeCloseTo(1, 3);
    expect(highToLow(0.4)).toBeGreaterThan(1.5);
    expect(highToLow(-0.4)).toBeLessThan(0.6);
  });
});

describe('applyPeakingFilter', () => {
  it('boosts or cuts by gainDb at the centre frequency and leaves distant frequencies alone', () => {
    // arrange
    const centre = sine(2000, 16000, 0.2);
    const far = sine(200, 16000, 0.2);
    const gainDb = (input: Float32Array, bandGainDb: number): number =>
      20 *
      Math.log10(
        middleRms(applyPeakingFilter(input, { frequencyHz: 2000, gainDb: bandGainDb, q: 3, sampleRateHz: 16000 })) /
          middleRms(input),
      );

    // act / assert
    expect(gainDb(centre, 8)).toBeCloseTo(8, 1);
    expect(gainDb(centre, -8)).toBeCloseTo(-8, 1);
    expect(Math.abs(gainDb(far, 8))).toBeLessThan(0.5);
  });
});

describe('addShimmer', () => {
  it('leaves the signal unchanged at depth 0 and makes its amplitude flicker otherwise', () => {
    // arrange
    const input = sine(150, 16000, 0.5);
    const blockRms = (samples: Float32Array): number[] =>
      Array.from({ length: 40 }, (_, b) => {
        const block = samples.subarray(b * 200, (b + 1) * 200);
        return Math.sqrt(block.reduce((sum, x) => sum + x * x, 0) / block.length);
      });
    const spread = (values: number[]): number => Math.max(...values) / Math.min(...values);

    // act
    const steady = addShimmer(input, { depth: 0, sampleRateHz: 16000, rng: rngFor(1, 'shimmer') });
    const rough = addShimmer(input, { depth: 0.25, sampleRateHz: 16000, rng: rngFor(1, 'shimmer') });

    // assert
    expect(steady).toEqual(input);
    expect(spread(blockRms(rough))).toBeGreaterThan(1.2);
  });
});
