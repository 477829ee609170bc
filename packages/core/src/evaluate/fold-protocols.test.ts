import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { EMODB_FOLDS, foldsFor, parseFoldProtocol } from './folds.js';

/** One row per (speaker, session) pair, one feature each. */
function makeSet(rows: readonly (readonly [speaker: string, session: string])[]): FeatureSet {
  return {
    ids: rows.map((_, i) => `r${i}`),
    speakers: rows.map(([speaker]) => speaker),
    emotions: rows.map((_, i) => (i % 2 === 0 ? 'x' : 'y')),
    sessions: rows.map(([, session]) => session),
    features: Float32Array.from(rows, (_, i) => i),
    dimension: 1,
    classNames: ['x', 'y'],
    spec: { name: 't', version: '1', params: {}, dimensionNames: ['f0'] },
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

describe('parseFoldProtocol', () => {
  it.each(['emodb5', 'session', 'speaker-kfold:5', 'speaker-kfold:2', 'speaker-kfold:12'])('accepts %s', (value) => {
    // arrange / act / assert
    expect(parseFoldProtocol(value)).toBe(value);
  });

  it.each([
    '',
    'emodb',
    'EMODB5',
    'sessions',
    'speaker-kfold',
    'speaker-kfold:',
    'speaker-kfold:0',
    'speaker-kfold:05',
    'speaker-kfold:-3',
    'speaker-kfold:2.5',
    'speaker-kfold:x',
    ' emodb5',
    'loso',
  ])('rejects "%s" with INVALID_OPTION, naming it and the choices', async (value) => {
    // arrange / act / assert
    await expectEmodistillError(
      () => parseFoldProtocol(value),
      ERROR_CODES.invalidOption,
      `"${value}"`,
      'emodb5',
      'session',
      'speaker-kfold:K',
    );
  });
});

describe('foldsFor', () => {
  it('emodb5 gives copies of the fixed EmoDB pairs', () => {
    // arrange
    const set = makeSet([['03', '']]);

    // act
    const folds = foldsFor(set, 'emodb5');
    folds[0]!.push('changed');

    // assert
    expect(foldsFor(set, 'emodb5')).toEqual(EMODB_FOLDS.map((fold) => [...fold]));
  });

  it('session holds out each session\u2019s speakers, sessions in numeric order', () => {
    // arrange: IEMOCAP-like, two speakers per session, sessions out of order and "10" after "2"
    const set = makeSet([
      ['Ses02M', '2'],
      ['Ses01F', '1'],
      ['Ses10F', '10'],
      ['Ses01M', '1'],
      ['Ses02F', '2'],
      ['Ses01F', '1'],
      ['Ses10M', '10'],
    ]);

    // act
    const folds = foldsFor(set, 'session');

    // assert
    expect(folds).toEqual([
      ['Ses01F', 'Ses01M'],
      ['Ses02F', 'Ses02M'],
      ['Ses10F', 'Ses10M'],
    ]);
  });

  it('session refuses rows without a session, naming the row', async () => {
    // arrange
    const set = makeSet([
      ['a', '1'],
      ['b', ''],
    ]);

    // act / assert
    await expectEmodistillError(
      () => foldsFor(set, 'session'),
      ERROR_CODES.invalidOption,
      'row 1 (r1)',
      'speaker-kfold',
    );
  });

  it('speaker-kfold puts every speaker in exactly one fold and balances the sexes (4 f + 4 m, K = 4 → one of each per fold)', () => {
    // arrange: ids do not sort by sex
    const sex: Record<string, string> = { s1: 'm', s2: 'f', s3: 'f', s4: 'm', s5: 'm', s6: 'f', s7: 'm', s8: 'f' };
    const set = makeSet(Object.keys(sex).flatMap((speaker) => [[speaker, ''] as const, [speaker, ''] as const]));

    // act
    const folds = foldsFor(set, 'speaker-kfold:4', (speaker) => sex[speaker]);

    // assert
    expect(folds).toHaveLength(4);
    expect(folds.flat().sort()).toEqual(Object.keys(sex).sort());
    for (const fold of folds) expect(fold.map((speaker) => sex[speaker]).sort()).toEqual(['f', 'm']);
  });

  it('speaker-kfold without sexes deals speakers round robin in natural id order', () => {
    // arrange
    const set = makeSet(['s10', 's2', 's1', 's3', 's2'].map((speaker) => [speaker, ''] as const));

    // act
    const folds = foldsFor(set, 'speaker-kfold:2');

    // assert
    expect(folds).toEqual([
      ['s1', 's3'],
      ['s2', 's10'],
    ]);
  });

  it('speaker-kfold refuses K above the number of speakers, and K = 1', async () => {
    // arrange
    const set = makeSet(['a', 'b', 'c'].map((speaker) => [speaker, ''] as const));

    // act / assert
    await expectEmodistillError(
      () => foldsFor(set, 'speaker-kfold:4'),
      ERROR_CODES.invalidOption,
      'speaker-kfold:4',
      '≤ 3',
    );
    await expectEmodistillError(() => foldsFor(set, 'speaker-kfold:1'), ERROR_CODES.invalidOption, 'speaker-kfold:1');
  });
});
