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
import { createGeneratorBundle, loadGenerator } from './bundle.js';
import { sampleFeatureSet, type SampleOptions } from './sample.js';
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
    expect(bundle.weights).toBe(result.generatorWeights);
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
