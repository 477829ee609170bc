import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { useWasmBackend } from '../../test/backend.js';
import { createLabelerNetwork } from '../distill/labeler.js';
import { createGeneratorNetwork } from '../distill/networks.js';
import type { GeneratorForSampling } from '../distill/sample.js';
import { evaluateGeneratorStream } from './generator-stream.js';

const SPEC = { name: 'synthetic', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] };

/** Two well-separated classes on a 3-D line: class 0 near −2, class 1 near +2 (test speakers). */
function testSet(): FeatureSet {
  const rows = 20;
  return {
    ids: Array.from({ length: rows }, (_, i) => `t${i}`),
    speakers: Array.from({ length: rows }, (_, i) => `s${i % 2}`),
    emotions: Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 'angry' : 'sad')),
    sessions: new Array<string>(rows).fill(''),
    features: Float32Array.from({ length: rows * 3 }, (_, k) => (Math.floor(k / 3) % 2 === 0 ? -2 : 2) + 0.01 * k),
    dimension: 3,
    classNames: ['angry', 'sad'],
    spec: SPEC,
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

describe('evaluateGeneratorStream', () => {
  useWasmBackend();

  /** A generator whose output is ±2 on every dimension by class (noise weights zero), optionally with a labeler. */
  function classGenerator(labeler: boolean): GeneratorForSampling {
    const network = createGeneratorNetwork(
      { dimension: 3, classCount: 2 },
      { noiseDimension: 2, hiddenUnits: [2], seed: 1 },
    );
    // hidden = relu-ish(onehot) picks the class; output = 4·hidden − 2.
    const values: Record<string, number[]> = {
      'generator/dense0/kernel': [0, 0, 0, 0, 1, 0, 0, 1],
      'generator/dense0/bias': [0, 0],
      'generator/dense1/kernel': [0, 0, 0, 4, 4, 4],
      'generator/dense1/bias': [-2, -2, -2],
    };
    network.variables.forEach((variable, i) =>
      variable.assign(tf.tensor(values[network.variableNames[i]!]!, variable.shape)),
    );
    return {
      network,
      noiseDimension: 2,
      classNames: ['angry', 'sad'],
      standardiser: { mean: new Float32Array(3), std: new Float32Array(3).fill(1) },
      spec: SPEC,
      ...(labeler && { labeler: createLabelerNetwork(3, 2, [4]) }),
    };
  }

  function dispose(generator: GeneratorForSampling): void {
    generator.network.dispose();
    generator.labeler?.dispose();
  }

  it('trains on fresh samples each step and separates what the generator separates', () => {
    // arrange
    const generator = classGenerator(false);

    try {
      // act
      const result = evaluateGeneratorStream(generator, testSet(), { seeds: [0], steps: 60 });

      // assert
      expect(result).toMatchObject({ steps: 60, batchSize: 32, labels: 'hard', testRows: 20 });
      expect(result.runs[0]!.uar).toBe(1);
    } finally {
      dispose(generator);
    }
  });

  it('is seeded: the same seed gives the same classifier, and it frees its tensors', () => {
    // arrange
    const generator = classGenerator(true);
    const before = tf.memory().numTensors;

    try {
      // act
      const first = evaluateGeneratorStream(generator, testSet(), { seeds: [3], steps: 5, labels: 'soft' });
      const again = evaluateGeneratorStream(generator, testSet(), { seeds: [3], steps: 5, labels: 'soft' });

      // assert
      expect(first.labels).toBe('soft');
      expect(again.runs[0]!.uar).toBe(first.runs[0]!.uar);
      expect(again.runs[0]!.wa).toBe(first.runs[0]!.wa);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      dispose(generator);
    }
  });

  it('refuses a test set of other classes', async () => {
    // arrange
    const generator = classGenerator(false);

    try {
      // act / assert
      await expectEmodistillError(
        () => evaluateGeneratorStream(generator, { ...testSet(), classNames: ['angry', 'calm'] }, { steps: 1 }),
        ERROR_CODES.featureSetMismatch,
        'different classes',
      );
    } finally {
      dispose(generator);
    }
  });
});
