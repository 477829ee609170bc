import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import {
  expectEmodistillError,
  float32Bits,
  harmonicTone,
  useTempDir,
  whiteNoise,
  writeWav,
} from '../../test/fixtures.js';
import type { CorpusListing } from './corpus-listing.js';
import { extractFeatureSet } from './extract-features.js';

const CLIP_COUNT = 7;

/** Seven 0.4 s clips at 22050 Hz (so every worker resamples), each with its own pitch and noise. */
async function writeCorpus(dir: string): Promise<CorpusListing> {
  const entries = [];
  for (let i = 0; i < CLIP_COUNT; i++) {
    const tone = harmonicTone(110 + 25 * i, { sampleRateHz: 22050, durationSec: 0.4 });
    const noise = whiteNoise(tone.length, 0.01, i + 1);
    const audioPath = await writeWav(
      join(dir, `clip${i}.wav`),
      tone.map((v, j) => v + noise[j]!),
      22050,
    );
    entries.push({ id: `clip${i}`, audioPath, emotion: i % 2 ? 'sad' : 'happy', speaker: `s${i % 3}`, session: '' });
  }
  return { source: 'manifest', task: 'custom', classNames: ['happy', 'sad'], entries };
}

/** Threads of this process (Linux), to see worker threads come and go. */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** Replaces entry `index` of a listing with a file holding `bytes`. */
async function withBrokenFile(
  listing: CorpusListing,
  index: number,
  path: string,
  bytes: string | null,
): Promise<CorpusListing> {
  if (bytes !== null) await writeFile(path, Buffer.from(bytes, 'latin1'));
  const entries = listing.entries.map((entry, i) => (i === index ? { ...entry, audioPath: path } : entry));
  return { ...listing, entries };
}

describe('extractFeatureSet with worker threads', () => {
  const temp = useTempDir();

  it('gives the same rows, ids, order and feature bits with 1, 2 and 3 workers', async () => {
    // arrange
    const listing = await writeCorpus(temp.path);
    const progress: number[] = [];

    // act
    const one = await extractFeatureSet(listing, { workers: 1 });
    const two = await extractFeatureSet(listing, { workers: 2, onProgress: (done) => progress.push(done) });
    const three = await extractFeatureSet(listing, { workers: 3 });

    // assert
    expect(one.set.ids).toEqual(listing.entries.map((e) => e.id));
    expect(one.set.features.every(Number.isFinite)).toBe(true);
    for (const other of [two, three]) {
      expect(other.set.ids).toEqual(one.set.ids);
      expect(other.set.speakers).toEqual(one.set.speakers);
      expect(other.set.emotions).toEqual(one.set.emotions);
      expect(other.set.spec).toEqual(one.set.spec);
      expect(float32Bits(other.set.features)).toEqual(float32Bits(one.set.features));
      expect(other.stats.audioSeconds).toBe(one.stats.audioSeconds);
      expect(other.stats.utterances).toBe(CLIP_COUNT);
    }
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Different clips give different rows (the pool did not repeat one file).
    const { dimension } = one.set;
    expect(one.set.features.subarray(0, dimension)).not.toEqual(one.set.features.subarray(dimension, 2 * dimension));
  });

  it.runIf(process.platform === 'linux')(
    'starts no thread with 1 worker, and one thread per worker otherwise',
    async () => {
      // arrange
      const listing = await writeCorpus(temp.path);
      await extractFeatureSet(listing, { workers: 1 }); // loads the resampler and fills the libuv pool
      const before = threadCount();
      const during: Record<number, number[]> = { 1: [], 2: [] };

      // act
      for (const workers of [1, 2])
        await extractFeatureSet(listing, { workers, onProgress: () => during[workers]!.push(threadCount() - before) });

      // assert
      expect(new Set(during[1])).toEqual(new Set([0]));
      expect(Math.min(...during[2]!)).toBeGreaterThanOrEqual(2);
    },
  );

  it('reports a corrupt WAV by name from a worker, the first broken file in listing order', async () => {
    // arrange
    const corrupt = join(temp.path, 'corrupt.wav');
    const missing = join(temp.path, 'missing.wav');
    const listing = await withBrokenFile(
      await withBrokenFile(await writeCorpus(temp.path), 2, corrupt, 'RIFF\u0000\u0000\u0000\u0000WAVEjunk'),
      5,
      missing,
      null,
    );

    // act / assert
    for (const workers of [1, 2, 3]) {
      const error = await expectEmodistillError(
        () => extractFeatureSet(listing, { workers }),
        ERROR_CODES.audioUnreadable,
        corrupt,
        'not a valid WAV file',
      );
      expect(error.message).not.toContain(missing);
    }
  });

  it('reports a missing file by name from a worker', async () => {
    // arrange
    const missing = join(temp.path, 'missing.wav');
    const listing = await withBrokenFile(await writeCorpus(temp.path), 4, missing, null);

    // act / assert
    await expectEmodistillError(
      () => extractFeatureSet(listing, { workers: 2 }),
      ERROR_CODES.audioUnreadable,
      missing,
      'file not found',
    );
  });

  it('refuses a worker count below 1 or fractional, and a custom extractor with workers', async () => {
    // arrange
    const listing = await writeCorpus(temp.path);
    const extractor = createProsodicFunctionalsExtractor();

    // act / assert
    await expectEmodistillError(() => extractFeatureSet(listing, { workers: 0 }), ERROR_CODES.invalidOption, '0');
    await expectEmodistillError(() => extractFeatureSet(listing, { workers: 1.5 }), ERROR_CODES.invalidOption, '1.5');
    await expectEmodistillError(
      () => extractFeatureSet(listing, { workers: 2, extractor }),
      ERROR_CODES.invalidOption,
      'custom extractor',
    );
  });
});
