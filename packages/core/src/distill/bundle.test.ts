import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import {
  assertBundleMatches,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  type GeneratorBundle,
} from '../formats/generator-bundle.js';
import { createRng } from '../random/rng.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { createGeneratorBundle, disposeGenerator, loadGenerator } from './bundle.js';
import { sampleFeatureSet, withLabelerProbabilities, type SampleOptions } from './sample.js';
import { distill, type DistillResult } from './train-loop.js';

/** 40 rows × 6 dims, two classes, four speakers. */
function makeSet(): FeatureSet {
  const rng = createRng(11);
  const classNames = ['neutral', 'angry'];
  const emotions = Array.from({ length: 40 }, (_, i) => classNames[i % 2]!);
  return {
    ids: emotions.map((_, i) => `u${i}`),
    speakers: emotions.map((_, i) => `s${i % 4}`),
    emotions,
    sessions: emotions.map(() => ''),
    features: Float32Array.from(
      { length: 40 * 6 },
      (_, i) => 50 + 10 * (i % 6) + 4 * (Math.floor(i / 6) % 2) + rng.next(),
    ),
    dimension: 6,
    classNames,
    spec: {
      name: 'synthetic',
      version: '2',
      params: { frames: 100 },
      dimensionNames: ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'],
    },
    corpus: { source: 'synthetic-corpus', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

/** Samples from a bundle, disposing the network it loads. */
function sampleFrom(bundle: GeneratorBundle, options: SampleOptions): FeatureSet {
  const generator = loadGenerator(bundle, 'bundle');
  try {
    return sampleFeatureSet(generator, options, 'bundle');
  } finally {
    generator.network.dispose();
  }
}

describe('generator bundle of a distillation', () => {
  let originalBackend: string;
  let set: FeatureSet;
  let result: DistillResult;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    expect(await selectBackend('wasm')).toMatch(/^wasm/);
    set = makeSet();
    result = await distill(set, {
      hiddenUnits: [16],
      batchSize: 8,
      noiseDimension: 4,
      poolSize: 1,
      poolEpochs: 2,
      criticSteps: 2,
      steps: 3,
      seed: 2,
    });
  });
  afterAll(async () => {
    await tf.setBackend(originalBackend);
  });

  it('records architecture, classes, feature spec, settings and provenance', () => {
    // arrange / act
    const bundle = createGeneratorBundle(result, set, 'wasm');

    // assert
    expect(bundle.metadata.architecture).toEqual({
      kind: 'conditional-mlp-generator',
      noiseDimension: 4,
      hiddenUnits: [16],
      activation: 'leakyRelu',
      outputDimension: 6,
      conditioning: 'concat-one-hot',
    });
    expect(bundle.metadata.classNames).toEqual(['neutral', 'angry']);
    expect(bundle.metadata.featureSpec).toEqual(set.spec);
    expect(bundle.metadata.trainingConfig).toEqual(result.config);
    expect(bundle.metadata.provenance).toMatchObject({
      trainingRows: 40,
      trainingSpeakers: 4,
      corpusSource: 'synthetic-corpus',
      steps: 3,
      backend: 'wasm',
    });
    expect(bundle.weights).toEqual(result.generatorWeights);
    expect(result.labelerWeights).toBeUndefined();
    expect(bundle.metadata.labeler).toBeUndefined();
    expect(bundle.metadata.sampling).toBeUndefined();
    expect(bundle.standardiser).toBe(result.standardiser);
  });

  it('samples the same numbers after encoding and decoding as before', () => {
    // arrange
    const bundle = createGeneratorBundle(result, set, 'wasm');
    const options: SampleOptions = { ipc: 5, prior: 'real', seed: 9, realClassCounts: [10, 30] };

    // act
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(bundle), 'mem.safetensors');
    const before = sampleFrom(bundle, options);
    const after = sampleFrom(decoded, options);

    // assert
    expect(after.emotions).toEqual(before.emotions);
    expect(before.emotions.filter((e) => e === 'neutral')).toHaveLength(3);
    expect(float32Bits(after.features)).toEqual(float32Bits(before.features));
    expect(after.features.every(Number.isFinite)).toBe(true);
    // samples are in the real (unstandardised) feature space: dimension d sits near 50 + 10·d, not near 0
    const meanOfDim5 = before.features.filter((_, i) => i % 6 === 5).reduce((a, b) => a + b, 0) / 10;
    expect(meanOfDim5).toBeGreaterThan(60);
  });

  it('accepts the training set and refuses sets of another feature space or label set, naming the set', async () => {
    // arrange
    const bundle = createGeneratorBundle(result, set, 'wasm');
    const otherSpec: FeatureSet = {
      ...set,
      spec: { ...set.spec, dimensionNames: ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'] },
    };
    const otherClasses: FeatureSet = { ...set, classNames: ['neutral', 'happy'] };

    // act / assert
    expect(() => assertBundleMatches(bundle, set, 'train.arrow')).not.toThrow();
    await expectEmodistillError(
      () => assertBundleMatches(bundle, otherSpec, 'other-spec.arrow'),
      ERROR_CODES.bundleMismatch,
      'other-spec.arrow',
    );
    await expectEmodistillError(
      () => assertBundleMatches(bundle, otherClasses, 'other-classes.arrow'),
      ERROR_CODES.bundleMismatch,
      'other-classes.arrow',
      'happy',
    );
  });

  it('refuses weights that do not fit the recorded architecture, and frees the network it built', async () => {
    // arrange: the metadata claims a wider hidden layer than the weights have
    const bundle = createGeneratorBundle(result, set, 'wasm');
    const wrong: GeneratorBundle = {
      ...bundle,
      metadata: { ...bundle.metadata, architecture: { ...bundle.metadata.architecture, hiddenUnits: [17] } },
    };
    const before = tf.memory().numTensors;

    // act / assert
    await expectEmodistillError(
      () => loadGenerator(wrong, 'wrong.safetensors'),
      ERROR_CODES.bundleMismatch,
      'wrong.safetensors',
      'generator/dense0/kernel',
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('generator bundle with a labeler and sampling defaults', () => {
  let originalBackend: string;
  let set: FeatureSet;
  let result: DistillResult;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    expect(await selectBackend('wasm')).toMatch(/^wasm/);
    set = makeSet();
    result = await distill(set, {
      hiddenUnits: [16],
      batchSize: 8,
      noiseDimension: 4,
      poolSize: 1,
      poolEpochs: 2,
      criticSteps: 2,
      steps: 2,
      labelerHiddenUnits: [4],
      seed: 2,
    });
  });
  afterAll(async () => {
    await tf.setBackend(originalBackend);
  });

  const SAMPLING = { labels: 'soft', oversample: 2 } as const;

  /** Decodes the encoded bundle of `result` with SAMPLING. */
  function roundTripped(): GeneratorBundle {
    return decodeGeneratorBundle(
      encodeGeneratorBundle(createGeneratorBundle(result, set, 'wasm', SAMPLING)),
      'l.safetensors',
    );
  }

  it('records the labeler (hidden layers and tensors `labeler/…`) and the sampling defaults', () => {
    // arrange / act
    const bundle = createGeneratorBundle(result, set, 'wasm', SAMPLING);

    // assert
    expect(result.config.labelerHiddenUnits).toEqual([4]);
    expect(bundle.metadata.labeler).toEqual({ hiddenUnits: [4] });
    expect(bundle.metadata.sampling).toEqual(SAMPLING);
    expect(bundle.weights.map((t) => [t.name, t.shape])).toEqual([
      ...result.generatorWeights.map((t) => [t.name, t.shape]),
      ['labeler/dense0/kernel', [6, 4]],
      ['labeler/dense0/bias', [4]],
      ['labeler/dense1/kernel', [4, 2]],
      ['labeler/dense1/bias', [2]],
    ]);
  });

  it('decodes to a generator with a labeler and sampling defaults that samples soft labels, as before encoding', () => {
    // arrange
    const before = tf.memory().numTensors;
    const options: SampleOptions = { ipc: 3, prior: 'balanced', seed: 4 };

    // act
    const decoded = roundTripped();
    const generator = loadGenerator(decoded, 'l.safetensors');
    const loaded = tf.memory().numTensors;
    const original = loadGenerator(createGeneratorBundle(result, set, 'wasm', SAMPLING), 'memory');
    let sampled: FeatureSet, reference: FeatureSet;
    try {
      sampled = sampleFeatureSet(generator, options, 'l.safetensors');
      reference = sampleFeatureSet(original, options, 'memory');
    } finally {
      disposeGenerator(generator);
      disposeGenerator(original);
    }
    const after = tf.memory().numTensors;

    // assert
    expect(decoded.metadata.labeler).toEqual({ hiddenUnits: [4] });
    expect(decoded.metadata.sampling).toEqual(SAMPLING);
    expect(generator.labeler?.variableNames).toEqual([
      'labeler/dense0/kernel',
      'labeler/dense0/bias',
      'labeler/dense1/kernel',
      'labeler/dense1/bias',
    ]);
    expect(generator.sampling).toEqual(SAMPLING);
    expect(loaded - before).toBe(4 + 4); // the generator's and the labeler's variables
    expect(after).toBe(before);
    expect(sampled.emotions).toEqual(['neutral', 'neutral', 'neutral', 'angry', 'angry', 'angry']);
    expect(sampled.probabilities).toHaveLength(6 * 2);
    for (let row = 0; row < 6; row++)
      expect(sampled.probabilities![2 * row]! + sampled.probabilities![2 * row + 1]!).toBeCloseTo(1, 5);
    expect(float32Bits(sampled.features)).toEqual(float32Bits(reference.features));
    expect(float32Bits(sampled.probabilities!)).toEqual(float32Bits(reference.probabilities!));
  });

  it('carries a labeler trained on the real rows: it tells the two classes of the training set apart', () => {
    // arrange
    const generator = loadGenerator(roundTripped(), 'l.safetensors');

    // act
    let labelled: FeatureSet;
    try {
      labelled = withLabelerProbabilities(set, generator);
    } finally {
      disposeGenerator(generator);
    }

    // assert: row i is class i % 2 (neutral, angry)
    const correct = set.emotions.filter((_, row) => {
      const angry = labelled.probabilities![2 * row + 1]! > labelled.probabilities![2 * row]!;
      return angry === (row % 2 === 1);
    }).length;
    expect(correct).toBeGreaterThanOrEqual(36);
  });

  it('refuses a bundle whose labeler tensors are missing, naming the tensor, and frees what it built', async () => {
    // arrange
    const bundle = roundTripped();
    const missing: GeneratorBundle = {
      ...bundle,
      weights: bundle.weights.filter((t) => !t.name.startsWith('labeler/')),
    };
    const before = tf.memory().numTensors;

    // act / assert
    await expectEmodistillError(
      () => loadGenerator(missing, 'missing.safetensors'),
      ERROR_CODES.bundleMismatch,
      'missing.safetensors',
      'labeler/dense0/kernel',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a bundle whose labeler tensors have another shape than its metadata says, and frees what it built', async () => {
    // arrange: the metadata claims hidden [5], the tensors are of hidden [4]
    const bundle = roundTripped();
    const wrong: GeneratorBundle = { ...bundle, metadata: { ...bundle.metadata, labeler: { hiddenUnits: [5] } } };
    const before = tf.memory().numTensors;

    // act / assert
    await expectEmodistillError(
      () => loadGenerator(wrong, 'wrong.safetensors'),
      ERROR_CODES.bundleMismatch,
      'wrong.safetensors',
      'labeler/dense0/kernel',
      '[6, 4]',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives no labeler without labeler metadata, and then derives one for soft labels', async () => {
    // arrange: same tensors, no labeler in the metadata
    const { labeler: _labeler, sampling: _sampling, ...metadata } = roundTripped().metadata;
    const bundle: GeneratorBundle = { ...roundTripped(), metadata };

    // act
    const generator = loadGenerator(bundle, 'plain.safetensors');

    // assert
    try {
      expect(generator.labeler).toBeUndefined();
      expect(generator.sampling).toBeUndefined();
      const soft = sampleFeatureSet(generator, { ipc: 2, prior: 'balanced', seed: 0, labels: 'soft' }, 'plain');
      expect(soft.probabilities).toHaveLength(2 * 2 * generator.classNames.length);
    } finally {
      disposeGenerator(generator);
    }
  });
});
