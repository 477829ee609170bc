import { describe, expect, it } from 'vitest';
import { EMODB_SPEAKER_SEX } from '../corpus/emodb.js';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { EMODB_FOLDS, splitBySpeakers } from './folds.js';

/** Five rows of two dims; row i holds [i, 10·i]. */
function makeSet(): FeatureSet {
  return {
    ids: ['r0', 'r1', 'r2', 'r3', 'r4'],
    speakers: ['a', 'b', 'a', 'c', 'b'],
    emotions: ['x', 'y', 'y', 'x', 'x'],
    sessions: ['1', '1', '2', '2', '3'],
    features: Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30, 4, 40]),
    dimension: 2,
    classNames: ['x', 'y'],
    spec: { name: 't', version: '1', params: {}, dimensionNames: ['f0', 'f1'] },
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

describe('splitBySpeakers', () => {
  it('puts the test speakers\u2019 rows in the test set and all others in the training set, with their features', () => {
    // arrange
    const set = makeSet();

    // act
    const { train, test } = splitBySpeakers(set, ['b']);

    // assert
    expect(test.ids).toEqual(['r1', 'r4']);
    expect(Array.from(test.features)).toEqual([1, 10, 4, 40]);
    expect(test.speakers).toEqual(['b', 'b']);
    expect(test.emotions).toEqual(['y', 'x']);
    expect(test.sessions).toEqual(['1', '3']);
    expect(train.ids).toEqual(['r0', 'r2', 'r3']);
    expect(Array.from(train.features)).toEqual([0, 0, 2, 20, 3, 30]);
    expect(train.classNames).toEqual(['x', 'y']);
    expect(train.dimension).toBe(2);
  });

  it('leaves the input set unchanged', () => {
    // arrange
    const set = makeSet();

    // act
    splitBySpeakers(set, ['a', 'c']);

    // assert
    expect(set).toEqual(makeSet());
  });

  it('refuses a test speaker the set does not have, naming it and the known speakers', async () => {
    // arrange
    const set = makeSet();

    // act / assert
    await expectEmodistillError(() => splitBySpeakers(set, ['a', 'zz']), ERROR_CODES.invalidOption, 'zz', 'a, b, c');
  });
});

describe('EMODB_FOLDS', () => {
  it('holds out each of the ten EmoDB speakers exactly once, one male and one female per fold', () => {
    // arrange
    const speakers = EMODB_FOLDS.flat();

    // act
    const sexes = EMODB_FOLDS.map((fold) => fold.map((speaker) => EMODB_SPEAKER_SEX[speaker]).sort());

    // assert
    expect([...speakers].sort()).toEqual(Object.keys(EMODB_SPEAKER_SEX).sort());
    expect(new Set(speakers).size).toBe(10);
    for (const pair of sexes) expect(pair).toEqual(['f', 'm']);
  });
});
