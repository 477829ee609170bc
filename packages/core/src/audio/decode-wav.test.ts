import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { ERROR_CODES } from '../errors.js';
import { createRng } from '../random/rng.js';
import {
  encodeExtensibleWav,
  encodeWav,
  expectEmodistillError,
  sine,
  useTempDir,
  type WavBitDepth,
} from '../../test/fixtures.js';
import { decodeWav, readWavFile } from './decode-wav.js';

/** Largest decoding error expected from quantising to `bitDepth` (half a step, plus float32 rounding). */
function quantisationTolerance(bitDepth: WavBitDepth): number {
  if (bitDepth === '32f' || bitDepth === '64') return 1e-7;
  return 0.5 / 2 ** (Number(bitDepth) - 1) + 1e-7;
}

const BIT_DEPTHS: WavBitDepth[] = ['8', '16', '24', '32', '32f', '64'];

describe('decodeWav', () => {
  it.each(BIT_DEPTHS)(
    'decodes a mono %s-bit sine of amplitude 0.5 to [-1, 1] values within quantisation',
    (bitDepth) => {
      // arrange
      const original = sine({ frequencyHz: 441, amplitude: 0.5, sampleRateHz: 22050, durationSec: 0.1 });
      const bytes = encodeWav(original, 22050, bitDepth);

      // act
      const audio = decodeWav(bytes, 'tone.wav');

      // assert
      expect(audio.sampleRateHz).toBe(22050);
      expect(audio.samples).toBeInstanceOf(Float32Array);
      expect(audio.samples.length).toBe(original.length);
      const tolerance = quantisationTolerance(bitDepth);
      const worst = original.reduce((max, x, i) => Math.max(max, Math.abs(audio.samples[i]! - x)), 0);
      expect(worst).toBeLessThanOrEqual(tolerance);
      // 441 Hz at 22050 Hz: exactly 50 samples per period, so the peaks +0.5 / −0.5 are sampled.
      expect(Math.max(...audio.samples)).toBeCloseTo(0.5, 2);
      expect(Math.min(...audio.samples)).toBeCloseTo(-0.5, 2);
      expect(audio.samples[Math.round(22050 / 441 / 4)]).toBeCloseTo(0.5, 2);
    },
  );

  it.each(['8', '16', '24', '32'] as const)('maps the %s-bit integer extremes to -1 and just below +1', (bitDepth) => {
    // arrange
    const full = 2 ** (Number(bitDepth) - 1);
    const bytes = encodeWav([-1, 0, (full - 1) / full], 8000, bitDepth);

    // act
    const { samples } = decodeWav(bytes, 'extremes.wav');

    // assert
    expect(Array.from(samples)).toEqual([-1, 0, Math.fround((full - 1) / full)]);
  });

  it.each(BIT_DEPTHS)('averages the channels of a stereo %s-bit file into mono', (bitDepth) => {
    // arrange
    const left = sine({ frequencyHz: 441, amplitude: 0.6, sampleRateHz: 44100, durationSec: 0.05 });
    const right = Float64Array.from(left, (x, i) => (i % 2 === 0 ? 0.2 : -0.4));
    const bytes = encodeWav([left, right], 44100, bitDepth);

    // act
    const audio = decodeWav(bytes, 'stereo.wav');

    // assert
    expect(audio.sampleRateHz).toBe(44100);
    expect(audio.samples.length).toBe(left.length);
    const tolerance = quantisationTolerance(bitDepth);
    for (let i = 0; i < left.length; i++) {
      expect(Math.abs(audio.samples[i]! - (left[i]! + right[i]!) / 2)).toBeLessThanOrEqual(tolerance);
    }
  });

  it.each([8000, 16000, 22050, 48000])('reads the sample rate %i Hz from the header', (sampleRateHz) => {
    // arrange
    const bytes = encodeWav(new Float64Array(100), sampleRateHz);

    // act
    const audio = decodeWav(bytes, 'rate.wav');

    // assert
    expect(audio.sampleRateHz).toBe(sampleRateHz);
  });

  it.each([
    { name: '16-bit PCM', code: 1, bitsPerSample: 16 },
    { name: '24-bit PCM', code: 1, bitsPerSample: 24 },
    { name: '32-bit PCM', code: 1, bitsPerSample: 32 },
    { name: '32-bit float', code: 3, bitsPerSample: 32 },
  ] as const)(
    'decodes WAVE_FORMAT_EXTENSIBLE $name (as ffmpeg writes it) by its sub-format',
    ({ code, bitsPerSample }) => {
      // arrange
      const left = sine({ frequencyHz: 441, amplitude: 0.5, sampleRateHz: 22050, durationSec: 0.05 });
      const right = Float64Array.from(left, (x) => -0.5 * x);
      const bytes = encodeExtensibleWav([left, right], 22050, { code, bitsPerSample });

      // act
      const audio = decodeWav(bytes, 'extensible.wav');

      // assert
      expect(audio.sampleRateHz).toBe(22050);
      expect(audio.samples.length).toBe(left.length);
      const tolerance = code === 3 ? 1e-7 : 0.5 / 2 ** (bitsPerSample - 1) + 1e-7;
      const worst = left.reduce((max, x, i) => Math.max(max, Math.abs(audio.samples[i]! - 0.25 * x)), 0);
      expect(worst).toBeLessThanOrEqual(tolerance);
    },
  );

  it('rejects WAVE_FORMAT_EXTENSIBLE with a compressed sub-format (mu-law) as unsupported', async () => {
    // arrange
    const bytes = encodeExtensibleWav([new Float64Array(64)], 8000, { code: 7, bitsPerSample: 16 });

    // act / assert
    await expectEmodistillError(
      () => decodeWav(bytes, 'ext-mulaw.wav'),
      ERROR_CODES.audioUnsupported,
      'ext-mulaw.wav',
      'format code 7',
    );
  });

  it('rejects random bytes as unreadable, naming the source', async () => {
    // arrange
    const rng = createRng(7);
    const bytes = Uint8Array.from({ length: 512 }, () => Math.floor(rng.next() * 256));

    // act / assert
    await expectEmodistillError(
      () => decodeWav(bytes, '/data/noise.wav'),
      ERROR_CODES.audioUnreadable,
      '/data/noise.wav',
    );
  });

  it('rejects a file cut to 20 bytes (inside the header), naming the source', async () => {
    // arrange
    const bytes = encodeWav(sine({ frequencyHz: 440, amplitude: 0.5, sampleRateHz: 16000, durationSec: 0.1 }), 16000);

    // act / assert
    await expectEmodistillError(
      () => decodeWav(bytes.subarray(0, 20), 'cut-header.wav'),
      ERROR_CODES.audioUnreadable,
      'cut-header.wav',
    );
  });

  it('rejects a file cut in the middle of its data chunk, naming the source', async () => {
    // arrange
    const bytes = encodeWav(sine({ frequencyHz: 440, amplitude: 0.5, sampleRateHz: 16000, durationSec: 0.1 }), 16000);
    const cut = bytes.subarray(0, 44 + 1000);

    // act / assert
    await expectEmodistillError(
      () => decodeWav(cut, 'cut-data.wav'),
      ERROR_CODES.audioUnreadable,
      'cut-data.wav',
      'truncated',
    );
  });

  it('rejects mu-law (a compressed format code) as unsupported, naming the source and the code', async () => {
    // arrange
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', [0, 1000, -1000, 32000, -32000]);
    wav.toMuLaw();
    const bytes = wav.toBuffer();

    // act / assert
    await expectEmodistillError(
      () => decodeWav(bytes, 'mulaw.wav'),
      ERROR_CODES.audioUnsupported,
      'mulaw.wav',
      'format code 7',
    );
  });

  it('rejects a WAV whose data chunk is empty, naming the source', async () => {
    // arrange
    const bytes = encodeWav([], 16000);

    // act / assert
    await expectEmodistillError(
      () => decodeWav(bytes, 'empty.wav'),
      ERROR_CODES.audioUnreadable,
      'empty.wav',
      'no audio samples',
    );
  });

  it('rejects non-finite float samples, naming the source', async () => {
    // arrange
    const bytes = encodeWav([0, 0.5, Number.NaN, 0], 16000, '32f');

    // act / assert
    await expectEmodistillError(() => decodeWav(bytes, 'nan.wav'), ERROR_CODES.audioUnreadable, 'nan.wav', 'sample 2');
  });

  it('leaves the input bytes unchanged', () => {
    // arrange
    const bytes = encodeWav(sine({ frequencyHz: 440, amplitude: 0.5, sampleRateHz: 16000, durationSec: 0.01 }), 16000);
    const copy = bytes.slice();

    // act
    decodeWav(bytes, 'x.wav');

    // assert
    expect(bytes).toEqual(copy);
  });
});

describe('readWavFile', () => {
  const temp = useTempDir();

  it('reads and decodes a WAV file from disk', async () => {
    // arrange
    const path = join(temp.path, 'tone.wav');
    const original = sine({ frequencyHz: 200, amplitude: 0.25, sampleRateHz: 16000, durationSec: 0.2 });
    await writeFile(path, encodeWav(original, 16000));

    // act
    const audio = await readWavFile(path);

    // assert
    expect(audio.sampleRateHz).toBe(16000);
    expect(audio.samples.length).toBe(original.length);
    expect(audio.samples[20]).toBeCloseTo(original[20]!, 4);
  });

  it('names a missing path in its error', async () => {
    // arrange
    const path = join(temp.path, 'missing', 'nowhere.wav');

    // act / assert
    await expectEmodistillError(() => readWavFile(path), ERROR_CODES.audioUnreadable, path, 'not found');
  });

  it('names the path of a corrupt file in its error', async () => {
    // arrange
    const path = join(temp.path, 'corrupt.wav');
    await writeFile(path, 'this is not audio');

    // act / assert
    await expectEmodistillError(() => readWavFile(path), ERROR_CODES.audioUnreadable, path);
  });
});
