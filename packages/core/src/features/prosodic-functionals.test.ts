import { describe, expect, it } from 'vitest';
import { harmonicTone, whiteNoise } from '../../test/fixtures.js';
import { createProsodicFunctionalsExtractor, PROSODIC_FUNCTIONALS_PARAMS } from './prosodic-functionals.js';

const SAMPLE_RATE_HZ = 16000;

/** Feature name → value, so assertions read by name. */
function byName(names: readonly string[], vector: Float32Array): Map<string, number> {
  return new Map(names.map((name, i) => [name, vector[i]!]));
}

function expectAllFinite(names: readonly string[], vector: Float32Array): void {
  const bad = names.filter((_, i) => !Number.isFinite(vector[i]!));
  expect(bad, `non-finite features: ${bad.join(', ')}`).toEqual([]);
}

describe('createProsodicFunctionalsExtractor', () => {
  const extractor = createProsodicFunctionalsExtractor();
  const names = extractor.spec.dimensionNames;

  it('names every dimension once, as many names as the vector is long', () => {
    // arrange
    const samples = harmonicTone(150, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 0.5 });

    // act
    const vector = extractor.extract(samples);

    // assert
    expect(new Set(names).size).toBe(names.length);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector.length).toBe(names.length);
    expect(names).toContain('f0Semitones_mean');
    expect(names).toContain('loudnessDb_mean');
  });

  it('describes itself with a spec that records its parameters and sample rate', () => {
    // arrange / act
    const { spec, sampleRateHz } = extractor;

    // assert
    expect(sampleRateHz).toBe(SAMPLE_RATE_HZ);
    expect(spec.name).toBe('prosodic-functionals');
    expect(spec.params).toEqual({ ...PROSODIC_FUNCTIONALS_PARAMS });
  });

  it('is deterministic: two extractor instances give bit-identical vectors', () => {
    // arrange
    const noise = whiteNoise(SAMPLE_RATE_HZ, 0.01, 3);
    const samples = Float32Array.from(
      harmonicTone(180, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 1 }),
      (x, i) => x + noise[i]!,
    );
    const other = createProsodicFunctionalsExtractor();

    // act
    const a = extractor.extract(samples);
    const b = other.extract(samples);

    // assert
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('keeps no state between calls: A, then B, then A again gives the first A exactly', () => {
    // arrange
    const a = harmonicTone(120, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 0.6 });
    const b = whiteNoise(9000, 0.5, 11);
    const fresh = createProsodicFunctionalsExtractor();

    // act
    const first = fresh.extract(a);
    fresh.extract(b);
    const again = fresh.extract(a);

    // assert
    expect(Array.from(again)).toEqual(Array.from(first));
  });

  it.each([
    ['silence (all zeros)', () => new Float32Array(SAMPLE_RATE_HZ)],
    [
      'a pure 440 Hz tone',
      () =>
        Float32Array.from(
          { length: SAMPLE_RATE_HZ },
          (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE_HZ),
        ),
    ],
    ['white noise', () => whiteNoise(SAMPLE_RATE_HZ, 0.5, 42)],
    ['a constant (DC) signal', () => new Float32Array(SAMPLE_RATE_HZ).fill(0.25)],
    ['a clip shorter than one frame', () => harmonicTone(200, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 0.01 })],
    ['an empty clip', () => new Float32Array(0)],
  ])('gives only finite values on %s', (_, makeSamples) => {
    // arrange
    const samples = makeSamples();

    // act
    const vector = extractor.extract(samples);

    // assert
    expect(vector.length).toBe(names.length);
    expectAllFinite(names, vector);
  });

  it('finds no voicing in silence or white noise', () => {
    // arrange
    const silence = new Float32Array(SAMPLE_RATE_HZ);
    const noise = whiteNoise(SAMPLE_RATE_HZ, 0.5, 5);

    // act
    const silent = byName(names, extractor.extract(silence));
    const noisy = byName(names, extractor.extract(noise));

    // assert
    expect(silent.get('voicedRatio')).toBe(0);
    expect(noisy.get('voicedRatio')).toBeLessThan(0.1);
  });

  it('puts the F0 of a 200 Hz harmonic series at 12·log2(200/27.5) semitones, above a 120 Hz one', () => {
    // arrange
    const high = harmonicTone(200, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 1 });
    const low = harmonicTone(120, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 1 });

    // act
    const highFeatures = byName(names, extractor.extract(high));
    const lowFeatures = byName(names, extractor.extract(low));

    // assert
    expect(highFeatures.get('f0Semitones_mean')!).toBeGreaterThan(lowFeatures.get('f0Semitones_mean')!);
    expect(Math.abs(highFeatures.get('f0Semitones_mean')! - 12 * Math.log2(200 / 27.5))).toBeLessThan(0.2);
    expect(Math.abs(lowFeatures.get('f0Semitones_mean')! - 12 * Math.log2(120 / 27.5))).toBeLessThan(0.2);
    expect(highFeatures.get('voicedRatio')).toBeGreaterThan(0.9);
    // A steady tone: flat pitch, no slope.
    expect(highFeatures.get('f0Semitones_std')).toBeLessThan(0.1);
    expect(Math.abs(highFeatures.get('f0Semitones_slope')!)).toBeLessThan(0.1);
  });

  it('follows a pitch glide with a positive F0 slope', () => {
    // arrange: F0 rises linearly from 150 to 250 Hz over 1 s
    let phase = 0;
    const glide = Float32Array.from({ length: SAMPLE_RATE_HZ }, (_, i) => {
      const f0 = 150 + (100 * i) / SAMPLE_RATE_HZ;
      phase += (2 * Math.PI * f0) / SAMPLE_RATE_HZ;
      return 0.3 * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase));
    });

    // act
    const features = byName(names, extractor.extract(glide));

    // assert: 12·log2(250/150) ≈ 8.8 semitones over 1 s
    expect(features.get('f0Semitones_slope')!).toBeGreaterThan(7);
    expect(features.get('f0Semitones_slope')!).toBeLessThan(10.5);
  });

  it('gives a 4× louder signal a loudnessDb_mean 20·log10(4) ≈ 12 dB higher, with the same F0', () => {
    // arrange
    const quiet = harmonicTone(160, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 1, amplitude: 0.05 });
    const loud = Float32Array.from(quiet, (x) => 4 * x);

    // act
    const quietFeatures = byName(names, extractor.extract(quiet));
    const loudFeatures = byName(names, extractor.extract(loud));

    // assert
    expect(loudFeatures.get('loudnessDb_mean')! - quietFeatures.get('loudnessDb_mean')!).toBeCloseTo(
      20 * Math.log10(4),
      1,
    );
    expect(loudFeatures.get('f0Semitones_mean')).toBeCloseTo(quietFeatures.get('f0Semitones_mean')!, 2);
  });

  it('measures the active duration and leaves the input unchanged', () => {
    // arrange: 0.5 s of tone between 0.25 s of silence on each side
    const tone = harmonicTone(200, { sampleRateHz: SAMPLE_RATE_HZ, durationSec: 0.5 });
    const samples = new Float32Array(SAMPLE_RATE_HZ);
    samples.set(tone, SAMPLE_RATE_HZ / 4);
    const copy = samples.slice();

    // act
    const features = byName(names, extractor.extract(samples));

    // assert
    expect(features.get('activeDurationSec')!).toBeGreaterThan(0.45);
    expect(features.get('activeDurationSec')!).toBeLessThan(0.55);
    expect(samples).toEqual(copy);
  });
});
