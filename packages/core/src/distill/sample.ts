import * as tf from '@tensorflow/tfjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { FeatureSpec } from '../features/feature-spec.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { Mlp } from '../models/mlp.js';
import type { Standardiser } from '../stats/standardise.js';
import { latentOffsets, type LatentPrior } from '../generator/latent-prior.js';

export type SamplePrior = 'balanced' | 'real';

export interface SampleOptions {
  /** Points per class (balanced), or the average per class (real prior: same total). */
  readonly ipc: number;
  readonly prior: SamplePrior;
  readonly seed: number;
  /** Real class counts, required for the `real` prior. */
  readonly realClassCounts?: readonly number[];
}

/** Rows per class: ipc each, or ipc·C split by the real class distribution (largest remainder). */
export function planClassCounts(classCount: number, options: SampleOptions): number[] {
  if (!Number.isInteger(options.ipc) || options.ipc < 1)
    throw new EmodistillError(ERROR_CODES.invalidOption, `--ipc must be a positive integer, got ${options.ipc}`);
  if (options.prior === 'balanced') return new Array<number>(classCount).fill(options.ipc);
  const counts = options.realClassCounts;
  if (!counts || counts.length !== classCount)
    throw new EmodistillError(ERROR_CODES.invalidOption, `the real prior needs ${classCount} real class counts`);
  const total = options.ipc * classCount;
  const realTotal = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((count) => (count / realTotal) * total);
  const planned = exact.map(Math.floor);
  const order = exact
    .map((value, c) => [value - Math.floor(value), c] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - planned.reduce((a, b) => a + b, 0);
  for (let i = 0; i < missing; i++) planned[order[i]![1]]!++;
  return planned;
}

export interface GeneratorForSampling {
  readonly network: Mlp;
  readonly noiseDimension: number;
  readonly classNames: readonly string[];
  readonly standardiser: Standardiser;
  readonly spec: FeatureSpec;
  /** Absent: z ~ N(0, I). */
  readonly latentPrior?: LatentPrior;
}

/** Draws a synthetic feature set in the real data's (unstandardised) feature space. */
export function sampleFeatureSet(
  generator: GeneratorForSampling,
  options: SampleOptions,
  provenance: string,
): FeatureSet {
  const classCount = generator.classNames.length;
  const perClass = planClassCounts(classCount, options);
  const labels = Int32Array.from(perClass.flatMap((count, c) => new Array<number>(count).fill(c)));
  const dimension = generator.standardiser.mean.length;
  const standardised = tf.tidy(() => {
    const standardNoise = tf.randomNormal([labels.length, generator.noiseDimension], 0, 1, 'float32', options.seed);
    const noise = generator.latentPrior
      ? tf.add(
          standardNoise,
          tf.tensor2d(latentOffsets(generator.latentPrior, labels.length, generator.noiseDimension, options.seed), [
            labels.length,
            generator.noiseDimension,
          ]),
        )
      : standardNoise;
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), classCount).toFloat();
    return generator.network.apply(tf.concat([noise, oneHot], 1) as tf.Tensor2D).output.dataSync() as Float32Array;
  });
  const features = new Float32Array(standardised.length);
  for (let i = 0; i < features.length; i++)
    features[i] =
      standardised[i]! * generator.standardiser.std[i % dimension]! + generator.standardiser.mean[i % dimension]!;
  const emotions = Array.from(labels, (label) => generator.classNames[label]!);
  return {
    ids: emotions.map((emotion, i) => `synthetic-${emotion}-${i}`),
    speakers: emotions.map(() => 'synthetic'),
    emotions,
    sessions: emotions.map(() => ''),
    features,
    dimension,
    classNames: generator.classNames,
    spec: generator.spec,
    corpus: { source: provenance, task: `ipc${options.ipc}-${options.prior}`, createdAt: new Date().toISOString() },
  };
}
