import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '../audio/decode-wav.js';
import { resample } from '../audio/resample.js';
import { ERROR_CODES } from '../errors.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import { expectEmodistillError, harmonicTone, useTempDir, writeText, writeWav } from '../../test/fixtures.js';
import { extractFeatureSet } from './extract-features.js';
import { listManifest } from './manifest.js';

/** Writes three 22050 Hz clips under <root>/audio/ (so extraction must resample). */
async function writeClips(root: string): Promise<void> {
  for (const [name, f0] of [
    ['a', 120],
    ['b', 180],
    ['c', 240],
  ] as const) {
    await writeWav(
      join(root, 'audio', `${name}.wav`),
      harmonicTone(f0, { sampleRateHz: 22050, durationSec: 0.4 }),
      22050,
    );
  }
}

describe('listManifest', () => {
  const temp = useTempDir();

  it('reads a CSV with paths relative to the manifest (not the working directory) and an optional session', async () => {
    // arrange
    await writeClips(temp.path);
    const manifest = await writeText(
      join(temp.path, 'meta', 'manifest.csv'),
      [
        'path,emotion,speaker,session',
        '../audio/a.wav,happy,spk1,s1',
        '../audio/b.wav,sad,spk2,s1',
        `${join(temp.path, 'audio', 'c.wav')},happy,spk2,s2`,
        '',
      ].join('\n'),
    );

    // act
    const listing = await listManifest(manifest);

    // assert
    expect(listing.source).toBe('manifest');
    expect(listing.task).toBe('custom');
    expect(listing.classNames).toEqual(['happy', 'sad']);
    expect(listing.entries).toEqual([
      { id: 'a', audioPath: join(temp.path, 'audio', 'a.wav'), emotion: 'happy', speaker: 'spk1', session: 's1' },
      { id: 'b', audioPath: join(temp.path, 'audio', 'b.wav'), emotion: 'sad', speaker: 'spk2', session: 's1' },
      { id: 'c', audioPath: join(temp.path, 'audio', 'c.wav'), emotion: 'happy', speaker: 'spk2', session: 's2' },
    ]);
  });

  it('leaves the session empty when the column is absent and uses an id column when present', async () => {
    // arrange
    await writeClips(temp.path);
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'id,path,emotion,speaker\nutt-1,audio/a.wav,angry,x\nutt-2,audio/b.wav,calm,y\n',
    );

    // act
    const listing = await listManifest(manifest);

    // assert
    expect(listing.entries.map((e) => [e.id, e.session])).toEqual([
      ['utt-1', ''],
      ['utt-2', ''],
    ]);
  });

  it('reads JSONL with the same columns (numbers as text, blank lines skipped)', async () => {
    // arrange
    await writeClips(temp.path);
    const manifest = await writeText(
      join(temp.path, 'manifest.jsonl'),
      [
        '{"path": "audio/a.wav", "emotion": "happy", "speaker": 7, "session": 1}',
        '',
        '{"path": "audio/b.wav", "emotion": "neutral", "speaker": "8"}',
        '',
      ].join('\n'),
    );

    // act
    const listing = await listManifest(manifest);

    // assert
    expect(listing.classNames).toEqual(['happy', 'neutral']);
    expect(listing.entries).toEqual([
      { id: 'a', audioPath: join(temp.path, 'audio', 'a.wav'), emotion: 'happy', speaker: '7', session: '1' },
      { id: 'b', audioPath: join(temp.path, 'audio', 'b.wav'), emotion: 'neutral', speaker: '8', session: '' },
    ]);
  });

  it('keeps the class order given in `classes`', async () => {
    // arrange
    await writeClips(temp.path);
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'path,emotion,speaker\naudio/a.wav,happy,1\naudio/b.wav,sad,2\n',
    );

    // act
    const listing = await listManifest(manifest, { classes: ['sad', 'neutral', 'happy'] });

    // assert
    expect(listing.classNames).toEqual(['sad', 'neutral', 'happy']);
  });

  it('refuses a manifest without a speaker column, naming the file and the columns it found', async () => {
    // arrange
    const manifest = await writeText(join(temp.path, 'manifest.csv'), 'path,emotion,session\naudio/a.wav,happy,1\n');

    // act / assert
    await expectEmodistillError(
      () => listManifest(manifest),
      ERROR_CODES.manifestColumn,
      manifest,
      '"speaker"',
      'found: path, emotion, session',
    );
  });

  it('refuses a JSONL manifest without a speaker key, naming the file and the keys it found', async () => {
    // arrange
    const manifest = await writeText(join(temp.path, 'manifest.jsonl'), '{"path": "a.wav", "emotion": "happy"}\n');

    // act / assert
    await expectEmodistillError(
      () => listManifest(manifest),
      ERROR_CODES.manifestColumn,
      manifest,
      '"speaker"',
      'found: path, emotion',
    );
  });

  it('refuses an empty emotion cell, naming the file and the row as seen in an editor', async () => {
    // arrange
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'path,emotion,speaker\naudio/a.wav,happy,1\naudio/b.wav,,2\n',
    );

    // act / assert
    await expectEmodistillError(
      () => listManifest(manifest),
      ERROR_CODES.manifestRow,
      `${manifest} row 3`,
      '"emotion"',
    );
  });

  it('counts skipped blank lines when naming a CSV row (Windows line endings, BOM)', async () => {
    // arrange
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      '\uFEFFpath,emotion,speaker\r\n\r\naudio/a.wav,happy,1\r\n\r\naudio/b.wav,,2\r\n',
    );

    // act / assert
    await expectEmodistillError(() => listManifest(manifest), ERROR_CODES.manifestRow, `${manifest} row 5:`);
  });

  it('refuses an empty emotion in JSONL, naming the line', async () => {
    // arrange
    const manifest = await writeText(
      join(temp.path, 'manifest.jsonl'),
      '{"path": "a.wav", "emotion": "happy", "speaker": "1"}\n\n{"path": "b.wav", "emotion": null, "speaker": "2"}\n',
    );

    // act / assert
    await expectEmodistillError(
      () => listManifest(manifest),
      ERROR_CODES.manifestRow,
      `${manifest} line 3`,
      '"emotion"',
    );
  });

  it('refuses a label outside `classes`, naming the row and the label', async () => {
    // arrange
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'path,emotion,speaker\naudio/a.wav,happy,1\naudio/b.wav,sad,2\naudio/c.wav,bored,2\n',
    );

    // act / assert
    await expectEmodistillError(
      () => listManifest(manifest, { classes: ['happy', 'sad'] }),
      ERROR_CODES.corpusLabel,
      `${manifest} row 4`,
      '"bored"',
    );
  });

  it('refuses invalid JSON, naming the line', async () => {
    // arrange
    const manifest = await writeText(
      join(temp.path, 'manifest.jsonl'),
      '{"path": "a.wav", "emotion": "happy", "speaker": "1"}\n{"path": "b.wav",\n',
    );

    // act / assert
    await expectEmodistillError(() => listManifest(manifest), ERROR_CODES.manifestRow, `${manifest} line 2`);
  });

  it('refuses a manifest with a header but no rows, naming it', async () => {
    // arrange
    const manifest = await writeText(join(temp.path, 'manifest.csv'), 'path,emotion,speaker\n');

    // act / assert
    await expectEmodistillError(() => listManifest(manifest), ERROR_CODES.corpusLayout, manifest);
  });

  it('refuses a missing manifest, naming it', async () => {
    // arrange
    const manifest = join(temp.path, 'absent.csv');

    // act / assert
    await expectEmodistillError(() => listManifest(manifest), ERROR_CODES.corpusLayout, manifest);
  });
});

describe('extractFeatureSet on a manifest', () => {
  const temp = useTempDir();

  it('resamples 22050 Hz clips to 16 kHz and extracts one row per manifest row, in order', async () => {
    // arrange
    await writeClips(temp.path);
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'path,emotion,speaker,session\naudio/c.wav,happy,1,a\naudio/a.wav,sad,2,b\n',
    );
    const listing = await listManifest(manifest);
    const extractor = createProsodicFunctionalsExtractor();

    // act
    const { set } = await extractFeatureSet(listing, { extractor });

    // assert
    expect(set.ids).toEqual(['c', 'a']);
    expect(set.sessions).toEqual(['a', 'b']);
    expect(set.corpus).toMatchObject({ source: 'manifest', task: 'custom' });
    const audio = await readWavFile(join(temp.path, 'audio', 'a.wav'));
    const expected = createProsodicFunctionalsExtractor().extract(await resample(audio.samples, 22050, 16000));
    expect(Array.from(set.features.subarray(set.dimension, 2 * set.dimension))).toEqual(Array.from(expected));
    expect(set.features.subarray(0, set.dimension)).not.toEqual(set.features.subarray(set.dimension));
  });

  it('fails on a row pointing at a corrupt WAV, naming that WAV', async () => {
    // arrange
    await writeClips(temp.path);
    const corrupt = join(temp.path, 'audio', 'corrupt.wav');
    await writeFile(corrupt, Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVEjunk'));
    const manifest = await writeText(
      join(temp.path, 'manifest.csv'),
      'path,emotion,speaker\naudio/a.wav,happy,1\naudio/corrupt.wav,sad,2\n',
    );
    const listing = await listManifest(manifest);

    // act / assert
    await expectEmodistillError(() => extractFeatureSet(listing), ERROR_CODES.audioUnreadable, corrupt);
  });
});
