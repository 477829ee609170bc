/**
 * Test fixtures for @emodistill/core: real WAV bytes (encoded with wavefile), synthetic signals,
 * temporary directories under os.tmpdir(), and the location of the shared EmoDB copy.
 * No mocks: everything here produces bytes and files the code under test reads for real.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { afterEach, beforeEach, expect } from 'vitest';
import { EmodistillError, type ErrorCode } from '../src/errors.js';
import { createRng } from '../src/random/rng.js';

/** Repository root (/work/main): this file is packages/core/test/fixtures.ts. */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** The shared EmoDB copy (22050 Hz, 16-bit mono), read-only; never copy it into the repo. */
export const EMODB_WAV_DIR: string = join(REPO_ROOT, '..', 'shared', 'datasets', 'emodb', 'wav');
export const EMODB_AVAILABLE: boolean = existsSync(EMODB_WAV_DIR);

/**
 * A fresh temporary directory per test, removed after it. Call at describe level;
 * read `.path` inside tests.
 */
export function useTempDir(prefix = 'emodistill-core-'): { readonly path: string } {
  let current: string | undefined;
  beforeEach(async () => {
    current = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (current) await rm(current, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get path(): string {
      if (!current) throw new Error('useTempDir: only available inside a test');
      return current;
    },
  };
}

export type WavBitDepth = '8' | '16' | '24' | '32' | '32f' | '64';

export interface SineOptions {
  readonly frequencyHz: number;
  readonly amplitude: number;
  readonly sampleRateHz: number;
  readonly durationSec: number;
  readonly phaseRad?: number;
}

/** amplitude·sin(2πft + phase), float64. */
export function sine(options: SineOptions): Float64Array {
  const { frequencyHz, amplitude, sampleRateHz, durationSec, phaseRad = 0 } = options;
  const length = Math.round(durationSec * sampleRateHz);
  return Float64Array.from(
    { length },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz + phaseRad),
  );
}

/**
 * A voiced-speech stand-in: harmonics k·f0 (k = 1..harmonicCount, amplitude 1/k, below Nyquist)
 * scaled so the peak is about `amplitude`.
 */
export function harmonicTone(
  f0Hz: number,
  options: { sampleRateHz: number; durationSec: number; amplitude?: number; harmonicCount?: number },
): Float32Array {
  const { sampleRateHz, durationSec, amplitude = 0.3, harmonicCount = 8 } = options;
  const length = Math.round(durationSec * sampleRateHz);
  const out = new Float32Array(length);
  let norm = 0;
  for (let k = 1; k <= harmonicCount && k * f0Hz < sampleRateHz / 2; k++) norm += 1 / k;
  for (let i = 0; i < length; i++) {
    let value = 0;
    for (let k = 1; k <= harmonicCount && k * f0Hz < sampleRateHz / 2; k++)
      value += Math.sin((2 * Math.PI * k * f0Hz * i) / sampleRateHz) / k;
    out[i] = (amplitude * value) / norm;
  }
  return out;
}

/** Seeded uniform white noise in [-amplitude, amplitude). */
export function whiteNoise(length: number, amplitude: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => amplitude * (2 * rng.next() - 1));
}

/** Converts float samples in [-1, 1] to the integer (or float) domain wavefile writes for `bitDepth`. */
function toWavDomain(samples: ArrayLike<number>, bitDepth: WavBitDepth): Float64Array {
  if (bitDepth === '32f' || bitDepth === '64') return Float64Array.from(samples);
  const bits = Number(bitDepth);
  const full = 2 ** (bits - 1);
  // 8-bit WAV is unsigned (offset binary); wider integer PCM is two's complement.
  const offset = bits === 8 ? full : 0;
  return Float64Array.from(samples, (x) => Math.max(-full, Math.min(full - 1, Math.round(x * full))) + offset);
}

/**
 * Encodes float samples in [-1, 1] as a RIFF/WAVE file. `channels` is one array (mono) or one
 * array per channel (all the same length).
 */
export function encodeWav(
  channels: ArrayLike<number> | readonly ArrayLike<number>[],
  sampleRateHz: number,
  bitDepth: WavBitDepth = '16',
): Uint8Array {
  const multi = Array.isArray(channels) && channels.length > 0 && typeof channels[0] !== 'number';
  const list = multi ? (channels as readonly ArrayLike<number>[]) : [channels as ArrayLike<number>];
  const wav = new wavefile.WaveFile();
  const converted = list.map((channel) => toWavDomain(channel, bitDepth));
  wav.fromScratch(list.length, sampleRateHz, bitDepth, list.length === 1 ? converted[0]! : converted);
  return wav.toBuffer();
}

/** Writes a WAV file (creating parent folders); @returns its path */
export async function writeWav(
  path: string,
  samples: ArrayLike<number> | readonly ArrayLike<number>[],
  sampleRateHz: number,
  bitDepth: WavBitDepth = '16',
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeWav(samples, sampleRateHz, bitDepth));
  return path;
}

/** Writes a text file (creating parent folders); @returns its path */
export async function writeText(path: string, text: string, encoding: BufferEncoding = 'utf8'): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.from(text, encoding));
  return path;
}

/**
 * Runs `action` (sync or async) and asserts it throws an EmodistillError with `code` whose message
 * contains every fragment. @returns the error, for further checks
 */
export async function expectEmodistillError(
  action: () => unknown,
  code: ErrorCode,
  ...fragments: string[]
): Promise<EmodistillError> {
  let thrown: unknown;
  try {
    await action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected an error to be thrown').toBeInstanceOf(EmodistillError);
  const error = thrown as EmodistillError;
  expect(error.code, error.message).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/** Root-mean-square of `samples[from, to)`. */
export function rms(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Bit patterns of float32 values, for bit-identical comparisons (NaN, −0 included). */
export function float32Bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/**
 * Hand-built WAVE_FORMAT_EXTENSIBLE (0xFFFE) file, as ffmpeg writes for 24/32-bit or >2 channels:
 * a 40-byte fmt chunk whose sub-format GUID starts with the real format code (1 PCM, 3 float).
 * Samples are interleaved from `channels`, float in [-1, 1], little-endian.
 */
export function encodeExtensibleWav(
  channels: readonly ArrayLike<number>[],
  sampleRateHz: number,
  format: { code: number; bitsPerSample: 16 | 24 | 32 },
): Uint8Array {
  const { code, bitsPerSample } = format;
  const bytesPerSample = bitsPerSample / 8;
  const frames = channels[0]?.length ?? 0;
  const blockAlign = channels.length * bytesPerSample;
  const dataBytes = frames * blockAlign;
  const buffer = new ArrayBuffer(12 + 8 + 40 + 8 + dataBytes);
  const view = new DataView(buffer);
  const ascii = (offset: number, text: string): void =>
    [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, buffer.byteLength - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 40, true);
  view.setUint16(20, 0xfffe, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bitsPerSample, true);
  view.setUint16(36, 22, true); // cbSize
  view.setUint16(38, bitsPerSample, true); // valid bits per sample
  view.setUint32(40, channels.length === 1 ? 0x4 : 0x3, true); // channel mask: FC or FL|FR
  view.setUint32(44, code, true);
  [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71].forEach((byte, i) =>
    view.setUint8(48 + i, byte),
  );
  ascii(60, 'data');
  view.setUint32(64, dataBytes, true);
  let offset = 68;
  for (let frame = 0; frame < frames; frame++) {
    for (const channel of channels) {
      const x = channel[frame]!;
      if (code === 3) view.setFloat32(offset, x, true);
      else {
        const full = 2 ** (bitsPerSample - 1);
        const value = Math.max(-full, Math.min(full - 1, Math.round(x * full)));
        if (bitsPerSample === 16) view.setInt16(offset, value, true);
        else if (bitsPerSample === 32) view.setInt32(offset, value, true);
        else {
          view.setUint8(offset, value & 0xff);
          view.setUint8(offset + 1, (value >> 8) & 0xff);
          view.setInt8(offset + 2, value >> 16);
        }
      }
      offset += bytesPerSample;
    }
  }
  return new Uint8Array(buffer);
}

/** max |a − b| / max |b|: the error relative to the reference values' scale. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}
