import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError, useTempDir } from '../../test/fixtures.js';
import { writeIemocapTree, type IemocapDialog } from '../../test/iemocap-fixture.js';
import { extractFeatureSet } from './extract-features.js';
import { listIemocap } from './iemocap.js';

/** Two sessions; ids chosen so the dialog's F/M (mocap wearer) disagrees with the speaker's. */
const DIALOGS: IemocapDialog[] = [
  {
    session: 1,
    dialog: 'Ses01F_impro01',
    utterances: [
      { id: 'Ses01F_impro01_F000', code: 'neu' },
      { id: 'Ses01F_impro01_M000', code: 'exc' },
      { id: 'Ses01F_impro01_F001', code: 'fru' },
      { id: 'Ses01F_impro01_M001', code: 'ang' },
      { id: 'Ses01F_impro01_F002', code: 'xxx' },
    ],
  },
  {
    session: 1,
    dialog: 'Ses01M_script01_1',
    newline: '\r\n',
    utterances: [
      { id: 'Ses01M_script01_1_F003', code: 'hap' },
      { id: 'Ses01M_script01_1_M003', code: 'sad' },
    ],
  },
  {
    session: 2,
    dialog: 'Ses02M_impro03',
    utterances: [
      { id: 'Ses02M_impro03_F000', code: 'sad' },
      { id: 'Ses02M_impro03_M000', code: 'sur' },
      { id: 'Ses02M_impro03_M001', code: 'exc' },
    ],
  },
];

describe('listIemocap', () => {
  const temp = useTempDir();

  it('lists the 4-class task: exc merged into happy, fru/sur/xxx dropped, Categorical/ ignored', async () => {
    // arrange
    await writeIemocapTree(temp.path, DIALOGS);

    // act
    const listing = await listIemocap(temp.path);

    // assert
    expect(listing.source).toBe('iemocap');
    expect(listing.task).toBe('4class');
    expect(listing.classNames).toEqual(['angry', 'happy', 'neutral', 'sad']);
    expect(listing.entries.map((e) => [e.id, e.emotion])).toEqual([
      ['Ses01F_impro01_F000', 'neutral'],
      ['Ses01F_impro01_M000', 'happy'],
      ['Ses01F_impro01_M001', 'angry'],
      ['Ses01M_script01_1_F003', 'happy'],
      ['Ses01M_script01_1_M003', 'sad'],
      ['Ses02M_impro03_F000', 'sad'],
      ['Ses02M_impro03_M001', 'happy'],
    ]);
  });

  it('takes the speaker from the last id part and the session (fold) from the folder', async () => {
    // arrange
    await writeIemocapTree(temp.path, DIALOGS);

    // act
    const { entries } = await listIemocap(temp.path);

    // assert
    expect(entries.map((e) => [e.id, e.speaker, e.session])).toEqual([
      ['Ses01F_impro01_F000', 'Ses01F', '1'],
      ['Ses01F_impro01_M000', 'Ses01M', '1'],
      ['Ses01F_impro01_M001', 'Ses01M', '1'],
      ['Ses01M_script01_1_F003', 'Ses01F', '1'],
      ['Ses01M_script01_1_M003', 'Ses01M', '1'],
      ['Ses02M_impro03_F000', 'Ses02F', '2'],
      ['Ses02M_impro03_M001', 'Ses02M', '2'],
    ]);
    expect(entries[0]!.audioPath).toBe(
      join(temp.path, 'Session1', 'sentences', 'wav', 'Ses01F_impro01', 'Ses01F_impro01_F000.wav'),
    );
  });

  it('extracts a feature set with one finite row per kept utterance', async () => {
    // arrange
    await writeIemocapTree(temp.path, DIALOGS);
    const listing = await listIemocap(temp.path);

    // act
    const { set, stats } = await extractFeatureSet(listing);

    // assert
    expect(set.ids).toEqual(listing.entries.map((e) => e.id));
    expect(set.sessions).toEqual(['1', '1', '1', '1', '1', '2', '2']);
    expect(set.speakers).toEqual(['Ses01F', 'Ses01M', 'Ses01M', 'Ses01F', 'Ses01M', 'Ses02F', 'Ses02M']);
    expect(set.emotions).toEqual(['neutral', 'happy', 'angry', 'happy', 'sad', 'sad', 'happy']);
    expect(set.corpus).toMatchObject({ source: 'iemocap', task: '4class' });
    expect(set.features.length).toBe(7 * set.dimension);
    expect(set.features.every(Number.isFinite)).toBe(true);
    expect(stats.audioSeconds).toBeCloseTo(7 * 0.3, 6);
  });

  it('reads the evaluation files as Latin-1 (the fixture really holds Latin-1 bytes)', async () => {
    // arrange
    const [path] = await writeIemocapTree(temp.path, DIALOGS.slice(0, 1));
    const bytes = await readFile(path!);

    // act
    const listing = await listIemocap(temp.path);

    // assert: é is the single byte 0xE9 in Latin-1 (0xC3 0xA9 in UTF-8)
    expect(bytes.includes(0xe9)).toBe(true);
    expect(bytes.includes(Buffer.from('é', 'utf8'))).toBe(false);
    expect(listing.entries).toHaveLength(3);
  });

  it('refuses an unknown label code, naming the file and the line', async () => {
    // arrange
    const [, path] = await writeIemocapTree(temp.path, [
      DIALOGS[0]!,
      {
        session: 1,
        dialog: 'Ses01F_impro02',
        utterances: [
          { id: 'Ses01F_impro02_F000', code: 'neu' },
          { id: 'Ses01F_impro02_M000', code: 'hpy' },
        ],
      },
    ]);
    // Header (3 lines) + first block (7 lines): the second utterance line is line 11.

    // act / assert
    await expectEmodistillError(() => listIemocap(temp.path), ERROR_CODES.corpusLabel, `${path} line 11`, '"hpy"');
  });

  it('refuses a malformed utterance id, naming the file and the line', async () => {
    // arrange
    const [path] = await writeIemocapTree(temp.path, [
      { session: 1, dialog: 'Ses01F_impro01', utterances: [{ id: 'Ses01F_impro01_X000', code: 'neu' }] },
    ]);

    // act / assert
    await expectEmodistillError(
      () => listIemocap(temp.path),
      ERROR_CODES.corpusLayout,
      `${path} line 4`,
      'Ses01F_impro01_X000',
    );
  });

  it('refuses a folder without Session folders, naming it', async () => {
    // arrange
    const root = temp.path;

    // act / assert
    await expectEmodistillError(() => listIemocap(root), ERROR_CODES.corpusLayout, root, 'Session1');
  });

  it('refuses a session without dialog/EmoEvaluation, naming the missing folder', async () => {
    // arrange
    await writeIemocapTree(temp.path, DIALOGS);
    await rm(join(temp.path, 'Session2', 'dialog'), { recursive: true });

    // act / assert
    await expectEmodistillError(
      () => listIemocap(temp.path),
      ERROR_CODES.corpusLayout,
      join(temp.path, 'Session2', 'dialog', 'EmoEvaluation'),
    );
  });

  it('names the missing WAV of a listed utterance when extracting', async () => {
    // arrange
    await writeIemocapTree(temp.path, DIALOGS);
    const missing = join(temp.path, 'Session2', 'sentences', 'wav', 'Ses02M_impro03', 'Ses02M_impro03_M001.wav');
    await rm(missing);
    const listing = await listIemocap(temp.path);

    // act / assert
    await expectEmodistillError(() => extractFeatureSet(listing), ERROR_CODES.audioUnreadable, missing);
  });
});
