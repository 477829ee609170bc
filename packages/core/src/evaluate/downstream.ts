import { EmodistillError, ERROR_CODES } from '../errors.js';
import { sameFeatureSpace } from '../features/feature-spec.js';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { unweightedAverageRecall, weightedAccuracy, meanAndStd } from './metrics.js';
import { trainClassifier, type ClassifierOptions, type TrainedClassifier } from '../models/mlp-classifier.js';
import { applyStandardiser, fitStandardiser } from '../stats/standardise.js';

export interface DownstreamOptions {
  /** One training run per seed; default [0, 1, 2]. */
  readonly seeds?: readonly number[];
  readonly classifier?: Omit<ClassifierOptions, 'seed'>;
}

export interface DownstreamRun {
  readonly seed: number;
  readonly uar: number;
  readonly wa: number;
  readonly trainSeconds: number;
}

export interface DownstreamResult {
  readonly runs: readonly DownstreamRun[];
  readonly uar: { mean: number; std: number };
  readonly wa: { mean: number; std: number };
  readonly trainSeconds: { mean: number; std: number };
  /** Bytes of the training features as stored (float32 rows). */
  readonly trainBytes: number;
  readonly trainRows: number;
  readonly testRows: number;
}

/** Refuses to compare sets from different feature spaces or label sets. */
export function assertCompatible(train: FeatureSet, test: FeatureSet, what = 'training and test sets'): void {
  if (!sameFeatureSpace(train.spec, test.spec)) {
    throw new EmodistillError(
      ERROR_CODES.featureSetMismatch,
      `${what} use different features: ${train.spec.name} v${train.spec.version} (${train.dimension} dims) vs ${test.spec.name} v${test.spec.version} (${test.dimension} dims)`,
    );
  }
  if (train.classNames.join() !== test.classNames.join()) {
    throw new EmodistillError(
      ERROR_CODES.featureSetMismatch,
      `${what} have different classes: [${train.classNames.join(', ')}] vs [${test.classNames.join(', ')}]`,
    );
  }
}

/**
 * One training run of a classifier, timed, then its UAR and WA on the test rows (standardised as
 * it was trained); the classifier is freed.
 */
export function timedTestRun(
  seed: number,
  train: () => TrainedClassifier,
  test: { readonly x: Float32Array; readonly labels: Int32Array; readonly classCount: number },
): DownstreamRun {
  const started = performance.now();
  const classifier = train();
  const trainSeconds = (performance.now() - started) / 1000;
  try {
    const predicted = classifier.predict(test.x);
    return {
      seed,
      uar: unweightedAverageRecall(test.labels, predicted, test.classCount),
      wa: weightedAccuracy(test.labels, predicted),
      trainSeconds,
    };
  } finally {
    classifier.dispose();
  }
}

/**
 * Trains the downstream emotion classifier on `train` (standardised with its own statistics) and
 * tests it on `test`, once per seed: UAR, WA, training time and the training set's size.
 */
export function evaluateDownstream(
  train: FeatureSet,
  test: FeatureSet,
  options: DownstreamOptions = {},
): DownstreamResult {
  assertCompatible(train, test);
  const standardiser = fitStandardiser(train.features, train.dimension);
  const x = applyStandardiser(train.features, standardiser);
  const testX = applyStandardiser(test.features, standardiser);
  const labels = labelIndices(train);
  const testLabels = labelIndices(test);
  const classCount = train.classNames.length;
  const runs = (options.seeds ?? [0, 1, 2]).map((seed) =>
    timedTestRun(
      seed,
      () =>
        trainClassifier(
          { x, labels, dimension: train.dimension, classCount, targets: train.probabilities },
          { ...options.classifier, seed },
        ),
      { x: testX, labels: testLabels, classCount },
    ),
  );
  return {
    runs,
    uar: meanAndStd(runs.map((r) => r.uar)),
    wa: meanAndStd(runs.map((r) => r.wa)),
    trainSeconds: meanAndStd(runs.map((r) => r.trainSeconds)),
    trainBytes: train.features.byteLength,
    trainRows: train.ids.length,
    testRows: test.ids.length,
  };
}
