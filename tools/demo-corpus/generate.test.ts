import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CORPUS_GENERATOR_VERSION,
  generateDemoCorpus,
  type DemoCorpusOptions,
  type DemoCorpusResult,
} from './index.ts';

// Synthesis takes a few seconds; the root vitest run has no config that raises the defaults.
const GENERATION_TIMEOUT_MS = 120_000;
const SMALL: Omit<DemoCorpusOptions, 'outDir'> = { speakers: 8, utterancesPerSpeaker: 8, seed: 7 };

interface ManifestRow {
  path: string;
  emotion: string;
  speaker: string;
  session: string;
}

let workDir: string;
let first: DemoCorpusResult;
let second: DemoCorpusResult;
const progress: [number, number][] = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'demo-corpus-'));
  // One corpus rendered on the calling thread, the other by two worker threads, at the same time.
  [first, second] = await Promise.all([
    generateDemoCorpus({
      ...SMALL,
      workers: 1,
      outDir: join(workDir, 'a'),
      onProgress: (done, total) => progress.push([done, total]),
    }),
    generateDemoCorpus({ ...SMALL, workers: 2, outDir: join(workDir, 'b') }),
  ]);
}, GENERATION_TIMEOUT_MS);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('generateDemoCorpus', () => {
  it('writes a manifest with one row per speaker × emotion × sentence', async () => {
    // act
    const text = await readFile(first.manifestPath, 'utf8');
    const [header, ...rows] = text.trimEnd().split('\n');
    const parsed = await readManifest(first.manifestPath);

    // assert
    expect(header).toBe('path,emotion,speaker,session');
    expect(rows).toHaveLength(8 * 4 * 2);
    expect(first.utterances).toBe(64);
    expect(first.speakers).toEqual(['spk01', 'spk02', 'spk03', 'spk04', 'spk05', 'spk06', 'spk07', 'spk08']);
    expect(first.emotions).toEqual(['neutral', 'happy', 'angry', 'sad']);
    expect(new Set(parsed.map((row) => row.session))).toEqual(new Set(['1', '2', '3', '4']));
    expect(parsed[0]).toEqual({
      path: 'wav/spk01_neutral_s01.wav',
      emotion: 'neutral',
      speaker: 'spk01',
      session: '1',
    });
    expect(progress).toHaveLength(64);
    expect(progress.at(-1)).toEqual([64, 64]);
  });

  it('records the options and totals in corpus.json', async () => {
    // act
    const description: unknown = JSON.parse(await readFile(first.descriptionPath, 'utf8'));

    // assert
    expect(first.descriptionPath).toBe(join(workDir, 'a', 'corpus.json'));
    expect(description).toEqual({
      generator: '@emodistill/tools/demo-corpus',
      generatorVersion: DEMO_CORPUS_GENERATOR_VERSION,
      seed: 7,
      speakers: 8,
      utterancesPerSpeaker: 8,
      emotions: ['neutral', 'happy', 'angry', 'sad'],
      utterances: 64,
      sampleRateHz: 16000,
      seconds: Math.round(first.seconds * 1000) / 1000,
      manifest: 'manifest.csv',
    });
  });

  it('writes 16 kHz mono 16-bit PCM files whose durations add up to the reported total', async () => {
    // arrange
    const rows = await readManifest(first.manifestPath);
    let seconds = 0;

    // act
    for (const row of rows) {
      const wav = new wavefile.WaveFile(await readFile(join(workDir, 'a', row.path)));
      const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };

      // assert
      expect(fmt).toMatchObject({ audioFormat: 1, numChannels: 1, sampleRate: 16000, bitsPerSample: 16 });
      seconds += wav.getSamples().length / 16000;
    }
    expect(seconds).toBeCloseTo(first.seconds, 6);
    expect(seconds / rows.length).toBeGreaterThan(1); // each sentence takes seconds to say
  });

  it('gives byte-identical files for the same options, on one thread or two workers', async () => {
    // arrange
    const rows = await readManifest(first.manifestPath);

    // act
    const paths = ['manifest.csv', 'corpus.json', ...rows.map((row) => row.path)];
    const hashesA = await Promise.all(paths.map((path) => sha256(join(workDir, 'a', path))));
    const hashesB = await Promise.all(paths.map((path) => sha256(join(workDir, 'b', path))));

    // assert
    expect(second.seconds).toBe(first.seconds);
    expect(hashesB).toEqual(hashesA);
  });

  it('makes angry speech louder and higher than sad speech on average', async () => {
    // arrange
    const rows = await readManifest(first.manifestPath);
    const dir = join(workDir, 'a');

    // act
    const angry = await acousticMeans(
      dir,
      rows.filter((row) => row.emotion === 'angry'),
    );
    const sad = await acousticMeans(
      dir,
      rows.filter((row) => row.emotion === 'sad'),
    );

    // assert: far beyond the per-utterance jitter (2 dB, ~0.8 semitone) averaged over 16 utterances
    expect(angry.levelDb - sad.levelDb).toBeGreaterThan(4);
    expect(angry.pitchSemitones - sad.pitchSemitones).toBeGreaterThan(1);
  });

  it('rejects fewer than 8 speakers before writing anything', async () => {
    // act / assert
    await expect(generateDemoCorpus({ outDir: join(workDir, 'c'), speakers: 7 })).rejects.toThrow(
      'speakers must be an integer in [8, 999], got 7',
    );
    await expect(stat(join(workDir, 'c'))).rejects.toThrow('ENOENT');
  });

  it('rejects too many utterances per speaker, or both ways of giving the count, before writing anything', async () => {
    // act / assert
    await expect(generateDemoCorpus({ outDir: join(workDir, 'c'), utterancesPerSpeaker: 161 })).rejects.toThrow(
      'utterancesPerSpeaker must be an integer in [4, 160], got 161',
    );
    await expect(
      generateDemoCorpus({ outDir: join(workDir, 'c'), utterancesPerSpeaker: 8, sentencesPerEmotion: 2 }),
    ).rejects.toThrow('give sentencesPerEmotion (2) or utterancesPerSpeaker (8), not both');
    await expect(stat(join(workDir, 'c'))).rejects.toThrow('ENOENT');
  });
});

async function readManifest(path: string): Promise<ManifestRow[]> {
  const [, ...lines] = (await readFile(path, 'utf8')).trimEnd().split('\n');
  return lines.map((line) => {
    const [file = '', emotion = '', speaker = '', session = ''] = line.split(',');
    return { path: file, emotion, speaker, session };
  });
}

/** Mean RMS level (dB re full scale) and mean median F0 (semitones re 100 Hz) of the files. */
async function acousticMeans(
  dir: string,
  rows: readonly ManifestRow[],
): Promise<{ levelDb: number; pitchSemitones: number }> {
  const levels: number[] = [];
  const pitches: number[] = [];
  for (const row of rows) {
    const samples = await readSamples(join(dir, row.path));
    levels.push(rmsDb(samples));
    pitches.push(12 * Math.log2(medianF0Hz(samples, 16000) / 100));
  }
  return { levelDb: mean(levels), pitchSemitones: mean(pitches) };
}

async function readSamples(path: string): Promise<Float64Array> {
  const samples = new wavefile.WaveFile(await readFile(path)).getSamples();
  return samples.map((x) => x / 32768);
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

function rmsDb(samples: Float64Array): number {
  const power = samples.reduce((sum, x) => sum + x * x, 0) / samples.length;
  return 10 * Math.log10(power);
}

/**
 * Crude F0: per 40 ms frame, the lag (60–400 Hz) of the highest normalised autocorrelation;
 * frames that are quiet or barely periodic are skipped. Octave errors happen, but equally often
 * in both emotions, so the comparison of means stands.
 */
function medianF0Hz(samples: Float64Array, sampleRateHz: number): number {
  const frame = Math.round(0.04 * sampleRateHz);
  const minLag = Math.floor(sampleRateHz / 400);
  const maxLag = Math.ceil(sampleRateHz / 60);
  const loudest = samples.reduce((max, x) => Math.max(max, Math.abs(x)), 0);
  const estimates: number[] = [];
  for (let start = 0; start + frame + maxLag <= samples.length; start += frame) {
    const energy = autocorrelation(samples, start, frame, 0);
    if (energy < frame * (0.05 * loudest) ** 2) continue;
    let bestLag = 0;
    let bestScore = 0.5; // periodicity needed to call a frame voiced
    for (let lag = minLag; lag <= maxLag; lag++) {
      const score = autocorrelation(samples, start, frame, lag) / energy;
      if (score > bestScore) [bestLag, bestScore] = [lag, score];
    }
    if (bestLag > 0) estimates.push(sampleRateHz / bestLag);
  }
  estimates.sort((a, b) => a - b);
  return estimates[Math.floor(estimates.length / 2)] ?? Number.NaN;
}

function autocorrelation(samples: Float64Array, start: number, length: number, lag: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += samples[i]! * samples[i + lag]!;
  return sum;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}
