import * as tf from '@tensorflow/tfjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { FeatureSpec } from '../features/feature-spec.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { Mlp } from '../models/mlp.js';
import { trainClassifier, type TrainedClassifier } from '../models/mlp-classifier.js';
import type { Standardiser } from '../stats/standardise.js';
import type { SamplingDefaults } from '../formats/generator-bundle.js';
import { latentOffsets, type LatentPrior } from '../generator/latent-prior.js';
import { selectCandidates, type SelectionMethod } from './select-samples.js';

export type SamplePrior = 'balanced' | 'real';
export const SAMPLE_LABELS = ['hard', 'soft'] as const;
/** hard: each point's conditioning class · soft: the labeler's class probabilities too (see `labelerOf`). */
export type SampleLabels = (typeof SAMPLE_LABELS)[number];

export interface SampleOptions {
  /** Points per class (balanced), or the average per class (real prior: same total). */
  readonly ipc: number;
  readonly prior: SamplePrior;
  readonly seed: number;
  /** Real class counts, required for the `real` prior. */
  readonly realClassCounts?: readonly number[];
  /** Default: the bundle's sampling, else hard. */
  readonly labels?: SampleLabels;
  /**
   * Draw this many candidates per point kept, and keep the points that herding picks in the
   * labeler's hidden layer (oversample and select). Default: the bundle's sampling, else 1 (every
   * draw kept).
   */
  readonly oversample?: number;
  /** Default: the bundle's sampling, else herding. */
  readonly selection?: SelectionMethod;
  /** Soft labels are softmax(logits / temperature). Default: the bundle's sampling, else 1. */
  readonly temperature?: number;
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
  /**
   * A real-trained emotion classifier on standardised features, for soft labels and selection;
   * absent: one is derived from the generator when needed (`labelerOf`).
   */
  readonly labeler?: Mlp;
  /** The method's sampling, from the bundle: the defaults of SampleOptions.labels and .oversample. */
  readonly sampling?: SamplingDefaults;
}

/**
 * G(z, y) for `labels.length` points of the given classes, z from the generator's latent prior
 * with `seed`: standardised rows as a tensor (the caller owns it).
 */
export function generateRows(generator: GeneratorForSampling, labels: Int32Array, seed: number): tf.Tensor2D {
  const classCount = generator.classNames.length;
  return tf.tidy(() => {
    // tf.randomNormal takes a seed of 0 for none (Math.random); −1 is no seed a caller passes (they are ≥ 0).
    const standardNoise = tf.randomNormal([labels.length, generator.noiseDimension], 0, 1, 'float32', seed || -1);
    const noise = generator.latentPrior
      ? tf.add(
          standardNoise,
          tf.tensor2d(latentOffsets(generator.latentPrior, labels.length, generator.noiseDimension, seed), [
            labels.length,
            generator.noiseDimension,
          ]),
        )
      : standardNoise;
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), classCount).toFloat();
    return generator.network.apply(tf.concat([noise, oneHot], 1) as tf.Tensor2D).output;
  });
}

/**
 * The labeler's view of standardised rows: class probabilities [N, C] (softmax of the logits
 * divided by `temperature`) and hidden activations [N, width].
 */
export function applyLabeler(
  labeler: Mlp,
  standardised: Float32Array,
  dimension: number,
  temperature = 1,
): { probabilities: Float32Array; embedding: Float32Array; width: number } {
  return tf.tidy(() => {
    const rows = standardised.length / dimension;
    const { output, penultimate } = labeler.apply(tf.tensor2d(standardised, [rows, dimension]));
    return {
      probabilities: tf.softmax(temperature === 1 ? output : tf.div(output, temperature)).dataSync() as Float32Array,
      embedding: penultimate.dataSync() as Float32Array,
      width: penultimate.shape[1],
    };
  });
}

/** Points per class the derived labeler trains on, and its training seed (fixed: sampling stays reproducible). */
const DERIVED_LABELER = { perClass: 100, seed: 0x1abe1, epochs: 30 } as const;
const derivedLabelers = new WeakMap<GeneratorForSampling, TrainedClassifier>();

/**
 * The labeler soft labels and selection use: the bundle's own (trained on real rows), or else one
 * derived from the generator itself — an emotion classifier trained on its samples (seeded). A
 * derived labeler is a function of the released generator alone, so it reveals nothing about the
 * training speakers that the generator does not; it is trained once per loaded generator and freed
 * by `disposeGenerator`.
 */
export function labelerOf(generator: GeneratorForSampling): Mlp {
  if (generator.labeler) return generator.labeler;
  let derived = derivedLabelers.get(generator);
  if (!derived) {
    const classCount = generator.classNames.length;
    const labels = Int32Array.from({ length: DERIVED_LABELER.perClass * classCount }, (_, i) => i % classCount);
    const x = tf.tidy(() => generateRows(generator, labels, DERIVED_LABELER.seed).dataSync() as Float32Array);
    derived = trainClassifier(
      { x, labels, dimension: generator.standardiser.mean.length, classCount },
      { hiddenUnits: [256, 256], epochs: DERIVED_LABELER.epochs, seed: DERIVED_LABELER.seed, name: 'labeler' },
    );
    derivedLabelers.set(generator, derived);
  }
  return derived.network;
}

/** Frees the labeler `labelerOf` derived for `generator`, if any. */
export function releaseDerivedLabeler(generator: GeneratorForSampling): void {
  derivedLabelers.get(generator)?.dispose();
  derivedLabelers.delete(generator);
}

/**
 * Draws a synthetic feature set in the real data's (unstandardised) feature space: `ipc` points
 * per class (or the real prior), optionally selected from `oversample`× as many candidates and
 * with soft labels (see SampleOptions).
 */
export function sampleFeatureSet(
  generator: GeneratorForSampling,
  options: SampleOptions,
  provenance: string,
): FeatureSet {
  const classCount = generator.classNames.length;
  const perClass = planClassCounts(classCount, options);
  const oversample = options.oversample ?? generator.sampling?.oversample ?? 1;
  const soft = (options.labels ?? generator.sampling?.labels) === 'soft';
  if (!Number.isInteger(oversample) || oversample < 1)
    throw new EmodistillError(ERROR_CODES.invalidOption, `--oversample must be a positive integer, got ${oversample}`);
  const dimension = generator.standardiser.mean.length;
  const candidateLabels = Int32Array.from(
    perClass.flatMap((count, c) => new Array<number>(count * oversample).fill(c)),
  );
  const candidates = tf.tidy(() => generateRows(generator, candidateLabels, options.seed).dataSync() as Float32Array);
  let labels = candidateLabels;
  let standardised = candidates;
  let probabilities: Float32Array | undefined;
  if (oversample > 1 || soft) {
    const labeler = labelerOf(generator);
    const view = applyLabeler(labeler, candidates, dimension, options.temperature ?? generator.sampling?.temperature);
    const selection = options.selection ?? generator.sampling?.selection ?? 'herding';
    const kept =
      oversample > 1
        ? selectCandidates(view.embedding, view.width, candidateLabels, perClass, selection, options.seed)
        : undefined;
    if (kept) {
      labels = Int32Array.from(kept, (row) => candidateLabels[row]!);
      standardised = gatherRows(candidates, kept, dimension);
    }
    if (soft) probabilities = kept ? gatherRows(view.probabilities, kept, classCount) : view.probabilities;
  }
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
    ...(probabilities && { probabilities }),
  };
}

/** Rows `indices` of a row-major [N, width] array. */
function gatherRows(values: Float32Array, indices: Int32Array, width: number): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((row, i) => out.set(values.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

/**
 * The same rows with soft labels from the generator's labeler: what a real coreset gets when it
 * is compared with a soft-labelled synthetic set (the same label treatment).
 */
export function withLabelerProbabilities(set: FeatureSet, generator: GeneratorForSampling): FeatureSet {
  const labeler = labelerOf(generator);
  const { mean, std } = generator.standardiser;
  const standardised = set.features.map((value, i) => (value - mean[i % set.dimension]!) / std[i % set.dimension]!);
  const temperature = generator.sampling?.temperature;
  return { ...set, probabilities: applyLabeler(labeler, standardised, set.dimension, temperature).probabilities };
}
