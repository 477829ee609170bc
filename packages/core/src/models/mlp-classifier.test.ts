import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { resolveClassifierConfig, trainClassifier, type ClassifierData } from './mlp-classifier.js';
import { unweightedAverageRecall } from '../evaluate/metrics.js';

/** Two Gaussian-ish blobs in 4-D, class = sign of the first coordinate's centre; imbalanced 3:1. */
function separableData(rows: number, seed: number): ClassifierData {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const x = new Float32Array(rows * 4);
  labels.forEach((label, row) => {
    for (let d = 0; d < 4; d++) x[row * 4 + d] = (d === 0 ? (label ? 1.5 : -1.5) : 0) + (rng.next() + rng.next() - 1);
  });
  return { x, labels, dimension: 4, classCount: 2 };
}

const TINY = { hiddenUnits: [8], epochs: 25, batchSize: 16, learningRate: 0.02 } as const;

describe('trainClassifier', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('learns a separable problem (UAR > 0.9 on fresh rows) with probabilities that sum to 1', () => {
    // arrange
    const train = separableData(80, 1);
    const test = separableData(40, 2);

    // act
    let probabilities: Float32Array = new Float32Array(0);
    let predicted: Int32Array = new Int32Array(0);
    expectNoTensorLeak(() => {
      const classifier = trainClassifier(train, { ...TINY, seed: 0 });
      probabilities = classifier.predictProbabilities(test.x);
      predicted = classifier.predict(test.x);
      classifier.dispose();
    });

    // assert
    expect(probabilities.length).toBe(40 * 2);
    for (let row = 0; row < 40; row++) expect(probabilities[2 * row]! + probabilities[2 * row + 1]!).toBeCloseTo(1, 5);
    expect(unweightedAverageRecall(test.labels, predicted, 2)).toBeGreaterThan(0.9);
  });

  it('repeats exactly for a seed (init, shuffling, dropout) and differs for another seed', () => {
    // arrange
    const data = separableData(40, 3);
    const run = (seed: number): number[] => {
      const classifier = trainClassifier(data, { ...TINY, epochs: 3, dropout: 0.3, seed });
      try {
        return Array.from(classifier.predictProbabilities(data.x));
      } finally {
        classifier.dispose();
      }
    };

    // act
    const [first, again, other] = [run(5), run(5), run(6)];

    // assert
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('stops after maxSteps minibatch steps: 2 steps of batch 20 on 40 rows are exactly its first epoch', () => {
    // arrange
    const data = separableData(40, 3);
    const run = (options: { epochs: number; maxSteps?: number }): number[] => {
      const classifier = trainClassifier(data, { ...TINY, batchSize: 20, seed: 5, ...options });
      try {
        return Array.from(classifier.predictProbabilities(data.x));
      } finally {
        classifier.dispose();
      }
    };

    // act
    const [oneEpoch, boundedToTwoSteps, threeEpochs, boundAboveTotal] = [
      run({ epochs: 1 }),
      run({ epochs: 3, maxSteps: 2 }),
      run({ epochs: 3 }),
      run({ epochs: 3, maxSteps: 100 }),
    ];

    // assert
    expect(boundedToTwoSteps).toEqual(oneEpoch);
    expect(boundAboveTotal).toEqual(threeEpochs);
    expect(threeEpochs).not.toEqual(oneEpoch);
  });

  it('leaves its input unchanged and leaks no tensors', () => {
    // arrange
    const data = separableData(40, 4);
    const copy = data.x.slice();

    // act / assert
    expectNoTensorLeak(() => trainClassifier(data, { ...TINY, epochs: 2 }).dispose());
    expect(data.x).toEqual(copy);
  });
});

describe('resolveClassifierConfig', () => {
  it('fills the documented defaults and keeps given values', () => {
    // arrange / act
    const defaults = resolveClassifierConfig();
    const custom = resolveClassifierConfig({ epochs: 5, balanceClasses: false });

    // assert
    expect(defaults).toEqual({
      hiddenUnits: [256, 256],
      epochs: 60,
      maxSteps: Number.POSITIVE_INFINITY,
      batchSize: 32,
      learningRate: 1e-3,
      dropout: 0.3,
      seed: 0,
      balanceClasses: true,
    });
    expect(custom).toMatchObject({ epochs: 5, balanceClasses: false, batchSize: 32 });
  });
});
