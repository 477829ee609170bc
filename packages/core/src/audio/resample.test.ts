import { describe, expect, it } from 'vitest';
import { rms, sine } from '../../test/fixtures.js';
import { resample } from './resample.js';

/** Tone of `frequencyHz` at `sampleRateHz`, as float32 audio. */
function tone(frequencyHz: number, sampleRateHz: number, amplitude = 0.5, durationSec = 1): Float32Array {
  return Float32Array.from(sine({ frequencyHz, amplitude, sampleRateHz, durationSec }));
}

/** RMS of the middle half, away from the converter's start-up and tail transients. */
function steadyRms(samples: Float32Array): number {
  return rms(samples, Math.floor(samples.length / 4), Math.floor((3 * samples.length) / 4));
}

describe('resample', () => {
  it('turns 22050 Hz into 16000 Hz with the length scaled by the rate ratio', async () => {
    // arrange
    const input = tone(1000, 22050);

    // act
    const output = await resample(input, 22050, 16000);

    // assert
    expect(output).toBeInstanceOf(Float32Array);
    expect(Math.abs(output.length - (input.length * 16000) / 22050)).toBeLessThanOrEqual(2);
  });

  it('keeps a 1 kHz tone within 5% of its amplitude', async () => {
    // arrange
    const input = tone(1000, 22050, 0.5);

    // act
    const output = await resample(input, 22050, 16000);

    // assert
    const amplitude = steadyRms(output) * Math.SQRT2;
    expect(Math.abs(amplitude - 0.5) / 0.5).toBeLessThan(0.05);
    // Still 1 kHz: 16 samples per period, so x[n] ≈ x[n + 16] in the steady part.
    const middle = Math.floor(output.length / 2);
    for (let n = middle; n < middle + 32; n++) expect(output[n]!).toBeCloseTo(output[n + 16]!, 2);
  });

  it('suppresses a 10 kHz tone (above the 8 kHz Nyquist of 16 kHz) by more than 40 dB instead of aliasing it', async () => {
    // arrange
    const input = tone(10000, 22050, 0.5);

    // act
    const output = await resample(input, 22050, 16000);

    // assert
    const attenuationDb = 20 * Math.log10(steadyRms(output) / steadyRms(input));
    expect(attenuationDb).toBeLessThan(-40);
  });

  it('upsamples 8000 Hz to 16000 Hz keeping a 1 kHz tone', async () => {
    // arrange
    const input = tone(1000, 8000, 0.4);

    // act
    const output = await resample(input, 8000, 16000);

    // assert
    expect(Math.abs(output.length - 2 * input.length)).toBeLessThanOrEqual(2);
    expect(Math.abs(steadyRms(output) * Math.SQRT2 - 0.4) / 0.4).toBeLessThan(0.05);
  });

  it('returns the input itself when the rates match', async () => {
    // arrange
    const input = tone(440, 16000, 0.5, 0.1);

    // act
    const output = await resample(input, 16000, 16000);

    // assert
    expect(output).toBe(input);
  });

  it('leaves its input unchanged and gives the same result on repeated calls', async () => {
    // arrange
    const input = tone(700, 44100, 0.5, 0.2);
    const copy = input.slice();

    // act
    const first = await resample(input, 44100, 16000);
    const second = await resample(input, 44100, 16000);

    // assert
    expect(input).toEqual(copy);
    expect(second).toEqual(first);
  });
});
