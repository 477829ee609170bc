import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '../audio/decode-wav.js';
import { resample } from '../audio/resample.js';
import { ERROR_CODES } from '../errors.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import {
  EMODB_AVAILABLE,
  EMODB_WAV_DIR,
  expectEmodistillError,
  harmonicTone,
  useTempDir,
  writeWav,
} from '../../test/fixtures.js';
import { EMODB_EMOTIONS, listEmodb } from './emodb.js';
import { extractFeatureSet } from './extract-features.js';

/** Two speakers (03 m, 08 f) and all seven emotion letters. */
const SAMPLE_FILES = [
  '03a01Fa.wav',
  '03a01Wa.wav',
  '03a04Lc.wav',
  '03b10Ec.wav',
  '08a01Ab.wav',
  '08a01Fd.wav',
  '08a01Na.wav',
  '08a02Tb.wav',
];

const realCorpusTitle = EMODB_AVAILABLE
  ? 'listEmodb + extractFeatureSet on real EmoDB files'
  : `listEmodb on real EmoDB files (SKIPPED: ${EMODB_WAV_DIR} not found)`;

describe.skipIf(!EMODB_AVAILABLE)(realCorpusTitle, () => {
  const temp = useTempDir();

  async function copySample(): Promise<string> {
    for (const name of SAMPLE_FILES) await copyFile(join(EMODB_WAV_DIR, name), join(temp.path, name));
    await writeFile(join(temp.path, 'README.txt'), 'not audio; ignored');
    return temp.path;
  }

  it('imports the 7-class task with speakers and labels from the file names', async () => {
    // arrange
    const dir = await copySample();

    // act
    const listing = await listEmodb(dir, '7class');

    // assert
    expect(listing.source).toBe('emodb');
    expect(listing.task).toBe('7class');
    expect(listing.classNames).toEqual(['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness']);
    expect(listing.entries.map((e) => [e.id, e.speaker, e.emotion])).toEqual([
      ['03a01Fa', '03', 'happiness'],
      ['03a01Wa', '03', 'anger'],
      ['03a04Lc', '03', 'boredom'],
      ['03b10Ec', '03', 'disgust'],
      ['08a01Ab', '08', 'fear'],
      ['08a01Fd', '08', 'happiness'],
      ['08a01Na', '08', 'neutral'],
      ['08a02Tb', '08', 'sadness'],
    ]);
    expect(listing.entries.every((e) => e.session === '')).toBe(true);
    expect(listing.entries[0]!.audioPath).toBe(join(dir, '03a01Fa.wav'));
  });

  it('imports the 4-class task without boredom, disgust and fear', async () => {
    // arrange
    const dir = await copySample();

    // act
    const listing = await listEmodb(dir, '4class');

    // assert
    expect(listing.classNames).toEqual(['anger', 'happiness', 'neutral', 'sadness']);
    expect(listing.entries.map((e) => e.id)).toEqual(['03a01Fa', '03a01Wa', '08a01Fd', '08a01Na', '08a02Tb']);
    expect(listing.entries.map((e) => e.emotion)).toEqual(['happiness', 'anger', 'happiness', 'neutral', 'sadness']);
  });

  it('extracts one finite feature row per file, equal to extracting the resampled audio directly', async () => {
    // arrange
    const dir = await copySample();
    const listing = await listEmodb(dir, '4class');
    const extractor = createProsodicFunctionalsExtractor();
    const progress: number[] = [];

    // act
    const { set, stats } = await extractFeatureSet(listing, { onProgress: (done) => progress.push(done) });

    // assert
    expect(set.ids).toEqual(listing.entries.map((e) => e.id));
    expect(set.speakers).toEqual(['03', '03', '08', '08', '08']);
    expect(set.emotions).toEqual(['happiness', 'anger', 'happiness', 'neutral', 'sadness']);
    expect(set.classNames).toEqual(listing.classNames);
    expect(set.corpus).toMatchObject({ source: 'emodb', task: '4class' });
    expect(set.dimension).toBe(extractor.spec.dimensionNames.length);
    expect(set.features.length).toBe(5 * set.dimension);
    expect(set.features.every(Number.isFinite)).toBe(true);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(stats.utterances).toBe(5);
    // EmoDB here is 22050 Hz: the pipeline must read the header rate and resample to 16 kHz.
    const audio = await readWavFile(join(dir, '08a01Na.wav'));
    expect(audio.sampleRateHz).toBe(22050);
    const expected = extractor.extract(await resample(audio.samples, audio.sampleRateHz, 16000));
    expect(Array.from(set.features.subarray(3 * set.dimension, 4 * set.dimension))).toEqual(Array.from(expected));
    let seconds = 0;
    for (const entry of listing.entries) {
      const { samples, sampleRateHz } = await readWavFile(entry.audioPath);
      seconds += samples.length / sampleRateHz;
    }
    expect(stats.audioSeconds).toBeCloseTo(seconds, 6);
    // Different utterances give different vectors.
    expect(set.features.subarray(0, set.dimension)).not.toEqual(
      set.features.subarray(set.dimension, 2 * set.dimension),
    );
  });
});

describe('listEmodb errors', () => {
  const temp = useTempDir();
  const tone = harmonicTone(150, { sampleRateHz: 16000, durationSec: 0.2 });

  it('refuses a file that is not named like EmoDB, naming it', async () => {
    // arrange
    await writeWav(join(temp.path, '03a01Fa.wav'), tone, 16000);
    const bad = await writeWav(join(temp.path, 'speaker3_happy.wav'), tone, 16000);

    // act / assert
    await expectEmodistillError(() => listEmodb(temp.path, '7class'), ERROR_CODES.corpusLayout, bad);
  });

  it('refuses an unknown emotion letter, naming the file and the letter', async () => {
    // arrange
    await writeWav(join(temp.path, '03a01Fa.wav'), tone, 16000);
    const bad = await writeWav(join(temp.path, '03a01Xa.wav'), tone, 16000);

    // act / assert
    await expectEmodistillError(() => listEmodb(temp.path, '7class'), ERROR_CODES.corpusLabel, bad, '"X"');
  });

  it('refuses a folder that does not exist, naming it', async () => {
    // arrange
    const missing = join(temp.path, 'no-such-folder');

    // act / assert
    await expectEmodistillError(() => listEmodb(missing, '7class'), ERROR_CODES.corpusLayout, missing);
  });

  it('refuses a folder with no utterances of the task, naming it', async () => {
    // arrange: boredom only, which the 4-class task drops
    await writeWav(join(temp.path, '03a04Lc.wav'), tone, 16000);

    // act / assert
    await expectEmodistillError(() => listEmodb(temp.path, '4class'), ERROR_CODES.corpusLayout, temp.path);
  });

  it('maps each official letter to its emotion', () => {
    // arrange / act / assert
    expect(EMODB_EMOTIONS).toEqual({
      W: 'anger',
      L: 'boredom',
      E: 'disgust',
      A: 'fear',
      F: 'happiness',
      T: 'sadness',
      N: 'neutral',
    });
  });
});
