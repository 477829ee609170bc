import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { createRng } from '../random/rng.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { assertCompatible, evaluateDownstream, type DownstreamResult } from './downstream.js';

/** Three well-separated classes in 3-D on an offset, badly scaled grid (standardisation needed). */
function makeSet(rows: number, seed: number, overrides: Partial<FeatureSet> = {}): FeatureSet {
  const rng = createRng(seed);
  const classNames = ['angry', 'happy', 'sad'];
  const emotions = Array.from({ length: rows }, (_, i) => classNames[i % 3]!);
  const features = new Float32Array(rows * 3);
  emotions.forEach((emotion, row) => {
    const c = classNames.indexOf(emotion);
    features.set(
      [3000 + 400 * c + 100 * (rng.next() - 0.5), -30 + 0.5 * (rng.next() - 0.5), c === 2 ? 0.9 : 0.1],
      row * 3,
    );
  });
  return {
    ids: emotions.map((_, i) => `u${i}`),
    speakers: emotions.map((_, i) => `s${i % 4}`),
    emotions,
    sessions: emotions.map(() => ''),
    features,
    dimension: 3,
    classNames,
    spec: { name: 'synthetic', version: '1', params: { seed }, dimensionNames: ['centroidHz', 'loudnessDb', 'ratio'] },
    corpus: { source: 'synthetic', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
    ...overrides,
  };
}

describe('assertCompatible', () => {
  it('accepts sets from the same feature space and classes', () => {
    // arrange
    const train = makeSet(6, 1);
    const test = { ...makeSet(6, 2), spec: train.spec };

    // act / assert
    expect(() => assertCompatible(train, test)).not.toThrow();
  });

  it('refuses sets with different features, saying which', async () => {
    // arrange
    const train = makeSet(6, 1);
    const test = makeSet(6, 1, { spec: { ...train.spec, version: '2' } });

    // act / assert
    await expectEmodistillError(
      () => assertCompatible(train, test),
      ERROR_CODES.featureSetMismatch,
      'synthetic v1',
      'synthetic v2',
    );
  });

  it('refuses sets with different class lists, listing both', async () => {
    // arrange
    const train = makeSet(6, 1);
    const test = makeSet(6, 1, { classNames: ['sad', 'happy', 'angry'] });

    // act / assert
    await expectEmodistillError(
      () => assertCompatible(train, test),
      ERROR_CODES.featureSetMismatch,
      '[angry, happy, sad]',
      '[sad, happy, angry]',
    );
  });
});

describe('evaluateDownstream', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains once per seed on standardised features and reports UAR, WA and the training size', () => {
    // arrange
    const train = makeSet(60, 1);
    const test = makeSet(30, 2, { spec: train.spec });

    // act
    let result: DownstreamResult | undefined;
    expectNoTensorLeak(() => {
      result = evaluateDownstream(train, test, {
        seeds: [0, 1],
        classifier: { hiddenUnits: [8], epochs: 30, batchSize: 16, learningRate: 0.02 },
      });
    });
    if (!result) throw new Error('evaluateDownstream returned nothing');

    // assert
    expect(result.runs.map((r) => r.seed)).toEqual([0, 1]);
    expect(result.uar.mean).toBeGreaterThan(0.9);
    expect(result.wa.mean).toBeGreaterThan(0.9);
    expect(result.trainRows).toBe(60);
    expect(result.testRows).toBe(30);
    expect(result.trainBytes).toBe(60 * 3 * 4);
    expect(result.runs.every((r) => r.trainSeconds > 0)).toBe(true);
  });
});
