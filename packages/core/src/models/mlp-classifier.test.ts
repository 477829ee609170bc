import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { resolveClassifierConfig, trainClassifier, type ClassifierData } from './mlp-classifier.js';
import { unweightedAverageRecall } from '../evaluate/metrics.js';
import { float32Bits } from '../../test/fixtures.js';
import { toSnapshot } from './weight-snapshot.js';

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

describe('trainClassifier with soft targets', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** The trained network's weights (bit patterns, by name) and its probabilities on `x`. */
  function train(
    data: ClassifierData,
    seed: number,
  ): { weights: Map<string, Uint32Array>; probabilities: Float32Array } {
    const classifier = trainClassifier(data, { ...TINY, epochs: 4, dropout: 0.3, seed });
    try {
      return {
        weights: new Map(toSnapshot(classifier.network).map((t) => [t.name, float32Bits(t.values)])),
        probabilities: classifier.predictProbabilities(data.x),
      };
    } finally {
      classifier.dispose();
    }
  }

  it('trains bit-identically on targets that are the one-hot labels as on the hard labels alone (same seed)', () => {
    // arrange
    const data = separableData(40, 7);
    const oneHot = new Float32Array(40 * 2);
    data.labels.forEach((label, row) => (oneHot[row * 2 + label] = 1));

    // act
    const hard = train(data, 3);
    const soft = train({ ...data, targets: oneHot }, 3);

    // assert
    expect([...soft.weights.keys()]).toEqual([...hard.weights.keys()]);
    expect(hard.weights.size).toBe(4);
    hard.weights.forEach((bits, name) => expect(soft.weights.get(name), name).toEqual(bits));
    expect(float32Bits(soft.probabilities)).toEqual(float32Bits(hard.probabilities));
  });

  it('moves the predictions toward the class the targets favour, against the hard labels', () => {
    // arrange: every row, whatever its label, says 90 % class 1
    const data = separableData(80, 8);
    const targets = Float32Array.from({ length: 80 * 2 }, (_, i) => (i % 2 === 1 ? 0.9 : 0.1));
    const classZeroRows = [...data.labels.keys()].filter((row) => data.labels[row] === 0);
    const meanClassOne = (probabilities: Float32Array): number =>
      classZeroRows.reduce((sum, row) => sum + probabilities[row * 2 + 1]!, 0) / classZeroRows.length;

    // act
    const classifier = (d: ClassifierData): Float32Array => {
      const trained = trainClassifier(d, { ...TINY, seed: 1 });
      try {
        return trained.predictProbabilities(d.x);
      } finally {
        trained.dispose();
      }
    };
    const hard = classifier(data);
    const soft = classifier({ ...data, targets });

    // assert: on the class-0 rows, hard labels give class 1 little weight, the soft targets most
    expect(meanClassOne(hard)).toBeLessThan(0.3);
    expect(meanClassOne(soft)).toBeGreaterThan(0.6);
  });

  it('names its variables with the given prefix', () => {
    // arrange / act
    const classifier = trainClassifier(separableData(16, 9), { ...TINY, epochs: 1, name: 'labeler' });
    const names = classifier.network.variableNames;
    classifier.dispose();

    // assert
    expect(names).toEqual([
      'labeler/dense0/kernel',
      'labeler/dense0/bias',
      'labeler/dense1/kernel',
      'labeler/dense1/bias',
    ]);
  });

  it.each([
    [40 * 2 - 1, '79 target values for 40 rows × 2 classes'],
    [40, '40 target values for 40 rows × 2 classes'],
  ])('refuses %i target values for 40 rows of 2 classes, and leaks no tensors', (length, message) => {
    // arrange
    const data: ClassifierData = { ...separableData(40, 10), targets: new Float32Array(length).fill(0.5) };
    const before = tf.memory().numTensors;

    // act / assert
    expect(() => trainClassifier(data, TINY)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
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
      name: 'classifier',
    });
    expect(custom).toMatchObject({ epochs: 5, balanceClasses: false, batchSize: 32 });
  });
});
