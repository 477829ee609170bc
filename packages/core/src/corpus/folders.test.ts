import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError, harmonicTone, useTempDir, writeWav } from '../../test/fixtures.js';
import { extractFeatureSet } from './extract-features.js';
import { listFolders } from './folders.js';

const clip = (f0: number): Float32Array => harmonicTone(f0, { sampleRateHz: 16000, durationSec: 0.3 });

/** <root>/<emotion>/<file>.wav for each [emotion, file] pair. */
async function writeTree(root: string, files: readonly (readonly [string, string])[]): Promise<void> {
  for (const [index, [emotion, file]] of files.entries())
    await writeWav(join(root, emotion, file), clip(120 + 20 * index), 16000);
}

describe('listFolders', () => {
  const temp = useTempDir();

  it('takes emotions from sub-folders and speakers from the regex capture group', async () => {
    // arrange
    await writeTree(temp.path, [
      ['sad', 'spk2_003.wav'],
      ['angry', 'spk1_001.wav'],
      ['angry', 'spk2_002.WAV'],
    ]);
    await writeFile(join(temp.path, 'angry', 'notes.txt'), 'ignored');
    await mkdir(join(temp.path, '.cache'));
    await writeFile(join(temp.path, 'README.md'), 'a file, not a folder');

    // act
    const listing = await listFolders(temp.path, { speakerRegex: '^(spk\\d+)_' });

    // assert
    expect(listing.source).toBe('folders');
    expect(listing.task).toBe('custom');
    expect(listing.classNames).toEqual(['angry', 'sad']);
    expect(listing.entries).toEqual([
      {
        id: 'angry/spk1_001',
        audioPath: join(temp.path, 'angry', 'spk1_001.wav'),
        emotion: 'angry',
        speaker: 'spk1',
        session: '',
      },
      {
        id: 'angry/spk2_002',
        audioPath: join(temp.path, 'angry', 'spk2_002.WAV'),
        emotion: 'angry',
        speaker: 'spk2',
        session: '',
      },
      {
        id: 'sad/spk2_003',
        audioPath: join(temp.path, 'sad', 'spk2_003.wav'),
        emotion: 'sad',
        speaker: 'spk2',
        session: '',
      },
    ]);
  });

  it('uses the whole match as the speaker when the regex has no capture group', async () => {
    // arrange
    await writeTree(temp.path, [['happy', 'm07-take1.wav']]);

    // act
    const listing = await listFolders(temp.path, { speakerRegex: '[fm]\\d\\d' });

    // assert
    expect(listing.entries.map((e) => e.speaker)).toEqual(['m07']);
  });

  it('keeps the class order given in `classes`', async () => {
    // arrange
    await writeTree(temp.path, [
      ['angry', 'a_1.wav'],
      ['sad', 'b_1.wav'],
    ]);

    // act
    const listing = await listFolders(temp.path, { speakerRegex: '^(\\w)_', classes: ['sad', 'neutral', 'angry'] });

    // assert
    expect(listing.classNames).toEqual(['sad', 'neutral', 'angry']);
  });

  it('extracts one finite row per file', async () => {
    // arrange
    await writeTree(temp.path, [
      ['angry', 'a_1.wav'],
      ['sad', 'b_1.wav'],
      ['sad', 'b_2.wav'],
    ]);
    const listing = await listFolders(temp.path, { speakerRegex: '^(\\w)_' });

    // act
    const { set } = await extractFeatureSet(listing);

    // assert
    expect(set.ids).toEqual(['angry/a_1', 'sad/b_1', 'sad/b_2']);
    expect(set.speakers).toEqual(['a', 'b', 'b']);
    expect(set.emotions).toEqual(['angry', 'sad', 'sad']);
    expect(set.corpus).toMatchObject({ source: 'folders', task: 'custom' });
    expect(set.features.length).toBe(3 * set.dimension);
    expect(set.features.every(Number.isFinite)).toBe(true);
  });

  it('refuses a file name the speaker regex does not match, naming the file', async () => {
    // arrange
    await writeTree(temp.path, [
      ['angry', 'spk1_001.wav'],
      ['sad', 'unknown.wav'],
    ]);

    // act / assert
    await expectEmodistillError(
      () => listFolders(temp.path, { speakerRegex: '^(spk\\d+)_' }),
      ERROR_CODES.corpusLayout,
      join(temp.path, 'sad', 'unknown.wav'),
    );
  });

  it('refuses an invalid regular expression as an invalid option, quoting it', async () => {
    // arrange
    await writeTree(temp.path, [['angry', 'spk1_001.wav']]);

    // act / assert
    await expectEmodistillError(
      () => listFolders(temp.path, { speakerRegex: '^(spk' }),
      ERROR_CODES.invalidOption,
      '"^(spk"',
    );
  });

  it('refuses an emotion folder outside `classes`, naming the folder', async () => {
    // arrange
    await writeTree(temp.path, [
      ['angry', 'a_1.wav'],
      ['bored', 'b_1.wav'],
    ]);

    // act / assert
    await expectEmodistillError(
      () => listFolders(temp.path, { speakerRegex: '^(\\w)_', classes: ['angry', 'sad'] }),
      ERROR_CODES.corpusLabel,
      join(temp.path, 'bored'),
    );
  });

  it('refuses a root without WAV files, and a missing root, naming it', async () => {
    // arrange
    await mkdir(join(temp.path, 'angry'));
    const missing = join(temp.path, 'absent');

    // act / assert
    await expectEmodistillError(
      () => listFolders(temp.path, { speakerRegex: '.' }),
      ERROR_CODES.corpusLayout,
      temp.path,
    );
    await expectEmodistillError(() => listFolders(missing, { speakerRegex: '.' }), ERROR_CODES.corpusLayout, missing);
  });
});
