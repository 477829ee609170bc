import * as tf from '@tensorflow/tfjs';
import { generateRows, labelerOf, type GeneratorForSampling, type SampleLabels } from '../distill/sample.js';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { trainClassifierOnStream, type ClassifierOptions } from '../models/mlp-classifier.js';
import { applyStandardiser } from '../stats/standardise.js';
import { assertCompatible, timedTestRun, type DownstreamRun } from './downstream.js';
import { meanAndStd } from './metrics.js';

export interface StreamOptions {
  /** One training run per seed; default [0, 1, 2]. */
  readonly seeds?: readonly number[];
  /** Minibatch steps, each on fresh samples; default 1000. */
  readonly steps?: number;
  /** Samples per step, balanced over the classes; default 32 (the classifier's batch). */
  readonly batchSize?: number;
  /** Default: the bundle's sampling labels, else hard. */
  readonly labels?: SampleLabels;
  readonly classifier?: Omit<ClassifierOptions, 'seed'>;
}

export interface StreamResult {
  readonly runs: readonly DownstreamRun[];
  readonly uar: { mean: number; std: number };
  readonly wa: { mean: number; std: number };
  readonly steps: number;
  readonly batchSize: number;
  readonly labels: SampleLabels;
  readonly testRows: number;
}

/**
 * The generator as a stream instead of a fixed set: the downstream classifier trains on fresh
 * samples every step (classes in turn, noise seeded by run and step), in the generator's
 * standardised space, and is tested on `test` standardised the same way. Seeded and reproducible.
 */
export function evaluateGeneratorStream(
  generator: GeneratorForSampling,
  test: FeatureSet,
  options: StreamOptions = {},
): StreamResult {
  const classCount = generator.classNames.length;
  const dimension = generator.standardiser.mean.length;
  assertCompatible({ ...test, classNames: generator.classNames, spec: generator.spec }, test, 'generator and test set');
  const steps = options.steps ?? 1000;
  const batchSize = options.batchSize ?? 32;
  const labels = options.labels ?? generator.sampling?.labels ?? 'hard';
  const labeler = labels === 'soft' ? labelerOf(generator) : undefined;
  const batchLabels = Int32Array.from({ length: batchSize }, (_, i) => i % classCount);
  const testX = applyStandardiser(test.features, generator.standardiser);
  const testLabels = labelIndices(test);
  const runs = (options.seeds ?? [0, 1, 2]).map((seed) =>
    timedTestRun(
      seed,
      () =>
        trainClassifierOnStream(
          (step) => {
            const x = generateRows(generator, batchLabels, seed * 1_000_003 + step);
            const targets = labeler
              ? (tf.softmax(labeler.apply(x).output) as tf.Tensor2D)
              : (tf.oneHot(tf.tensor1d(batchLabels, 'int32'), classCount).toFloat() as tf.Tensor2D);
            return { x, targets };
          },
          { dimension, classCount, steps },
          { ...options.classifier, seed },
        ),
      { x: testX, labels: testLabels, classCount },
    ),
  );
  return {
    runs,
    uar: meanAndStd(runs.map((r) => r.uar)),
    wa: meanAndStd(runs.map((r) => r.wa)),
    steps,
    batchSize,
    labels,
    testRows: test.ids.length,
  };
}
