import { describe, expect, it } from 'vitest';
import { applySpectralTilt } from './dsp.ts';

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
