import { describe, expect, it } from 'vitest';
import { applySpectralTilt, resample } from './dsp.ts';

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

describe('resample', () => {
  it('keeps a 1 kHz tone at its level and 16/22.05 of its length', () => {
    // arrange
    const input = sine(1000, 22050, 0.5);

    // act
    const output = resample(input, 22050, 16000);

    // assert
    expect(output).toHaveLength(8000);
    expect(middleRms(output)).toBeCloseTo(Math.SQRT1_2, 2);
    // a 1 kHz sine at 16 kHz repeats every 16 samples
    expect(output[4016]).toBeCloseTo(output[4000]!, 2);
  });

  it('removes a 10 kHz tone, which 16 kHz cannot represent, instead of aliasing it', () => {
    // arrange
    const input = sine(10000, 22050, 0.5);

    // act
    const output = resample(input, 22050, 16000);

    // assert: more than 40 dB down
    expect(middleRms(output)).toBeLessThan(0.01 * Math.SQRT1_2);
  });
});

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
