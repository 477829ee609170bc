import * as tf from '@tensorflow/tfjs';
import { createMlp, type Mlp } from './mlp.js';
import { createRng, shuffledIndices } from '../random/rng.js';

/** Downstream emotion classifier settings; defaults measured on EmoDB (see bench:baseline). */
export interface ClassifierOptions {
  /** Default [256, 256]. */
  readonly hiddenUnits?: readonly number[];
  /** Default 60. */
  readonly epochs?: number;
  /** Stop after this many minibatch steps even if epochs remain (bounds the cost on large sets); default no bound. */
  readonly maxSteps?: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Adam step size, default 1e-3. */
  readonly learningRate?: number;
  /** Default 0.3. */
  readonly dropout?: number;
  /** Default 0. */
  readonly seed?: number;
  /** Weight the loss by inverse class frequency (targets UAR), default true. */
  readonly balanceClasses?: boolean;
  /** Prefix of the variable names, default `classifier`. */
  readonly name?: string;
}

export type ClassifierConfig = Required<ClassifierOptions>;

export function resolveClassifierConfig(options: ClassifierOptions = {}): ClassifierConfig {
  return {
    hiddenUnits: options.hiddenUnits ?? [256, 256],
    epochs: options.epochs ?? 60,
    maxSteps: options.maxSteps ?? Number.POSITIVE_INFINITY,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? 1e-3,
    dropout: options.dropout ?? 0.3,
    seed: options.seed ?? 0,
    balanceClasses: options.balanceClasses ?? true,
    name: options.name ?? 'classifier',
  };
}

/** A trained classifier; owns its variables until `dispose`. */
export interface TrainedClassifier {
  readonly network: Mlp;
  /** @param x standardised rows [N, dimension]; @returns softmax probabilities [N, classCount] row-major */
  predictProbabilities(x: Float32Array): Float32Array;
  predict(x: Float32Array): Int32Array;
  dispose(): void;
}

export interface ClassifierData {
  /** Standardised features, row-major [N, dimension]. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly dimension: number;
  readonly classCount: number;
  /**
   * Soft labels: class probabilities per row, row-major [N, classCount], trained on instead of the
   * one-hot `labels` (which still set the class weights). Absent: hard labels.
   */
  readonly targets?: Float32Array;
}

function classWeights(labels: Int32Array, classCount: number, balance: boolean): Float32Array {
  const counts = new Float32Array(classCount);
  labels.forEach((label) => counts[label]!++);
  return Float32Array.from(counts, (count) => (balance && count > 0 ? labels.length / (classCount * count) : 1));
}

/** Per-row targets scaled by their row's class weight: one-hot rows, or the given probabilities. */
function weightedTargets(data: ClassifierData, balance: boolean): tf.Tensor2D {
  const { labels, classCount, targets } = data;
  const weights = classWeights(labels, classCount, balance);
  const values = targets ? Float32Array.from(targets) : new Float32Array(labels.length * classCount);
  labels.forEach((label, row) => {
    if (!targets) values[row * classCount + label] = 1;
    for (let c = 0; c < classCount; c++) values[row * classCount + c]! *= weights[label]!;
  });
  return tf.tensor2d(values, [labels.length, classCount]);
}

/** A classifier network and its Adam update on one minibatch of (rows, weighted targets). */
function createClassifierTraining(
  dimension: number,
  classCount: number,
  config: ClassifierConfig,
): { network: Mlp; update(x: tf.Tensor2D, targets: tf.Tensor, step: number): void; dispose(): void } {
  const network = createMlp({
    inputDimension: dimension,
    hiddenUnits: config.hiddenUnits,
    outputDimension: classCount,
    activation: 'relu',
    seed: config.seed,
    name: config.name,
  });
  const optimizer = tf.train.adam(config.learningRate);
  return {
    network,
    update(x, targets, step) {
      optimizer.minimize(
        () => {
          const { output, penultimate } = network.apply(x, config.dropout, config.seed * 100003 + step);
          penultimate.dispose();
          // Weighted cross-entropy, normalised by the batch's total weight.
          return tf.div(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(output)))), tf.sum(targets)) as tf.Scalar;
        },
        false,
        network.variables as tf.Variable[],
      );
    },
    dispose: () => optimizer.dispose(),
  };
}

/** Trains an MLP with Adam on cross-entropy; shuffling, init and dropout follow `seed`. */
export function trainClassifier(data: ClassifierData, options: ClassifierOptions = {}): TrainedClassifier {
  const config = resolveClassifierConfig(options);
  const { dimension, classCount, labels } = data;
  const rows = labels.length;
  if (data.targets && data.targets.length !== rows * classCount)
    throw new Error(`trainClassifier: ${data.targets.length} target values for ${rows} rows × ${classCount} classes`);
  const training = createClassifierTraining(dimension, classCount, config);
  const x = tf.tensor2d(data.x, [rows, dimension]);
  const targets = weightedTargets(data, config.balanceClasses);
  const rng = createRng(config.seed);
  try {
    let step = 0;
    for (let epoch = 0; epoch < config.epochs && step < config.maxSteps; epoch++) {
      const order = shuffledIndices(rows, rng);
      for (let start = 0; start < rows && step < config.maxSteps; start += config.batchSize) {
        const batch = order.subarray(start, Math.min(rows, start + config.batchSize));
        step++;
        tf.tidy(() => {
          const indices = tf.tensor1d(batch, 'int32');
          training.update(tf.gather(x, indices) as tf.Tensor2D, tf.gather(targets, indices), step);
        });
      }
    }
  } finally {
    x.dispose();
    targets.dispose();
    training.dispose();
  }
  return trainedClassifier(training.network, dimension, classCount);
}

/**
 * Trains the classifier on a stream: `steps` minibatches, each made fresh by `draw(step)` (rows and
 * targets summing to 1 per row; called inside a tidy), e.g. new samples of a generator every step.
 * `epochs`, `maxSteps` and `balanceClasses` do not apply: the stream sets the batches.
 */
export function trainClassifierOnStream(
  draw: (step: number) => { x: tf.Tensor2D; targets: tf.Tensor2D },
  shape: { dimension: number; classCount: number; steps: number },
  options: ClassifierOptions = {},
): TrainedClassifier {
  const training = createClassifierTraining(shape.dimension, shape.classCount, resolveClassifierConfig(options));
  try {
    for (let step = 1; step <= shape.steps; step++)
      tf.tidy(() => {
        const { x, targets } = draw(step);
        training.update(x, targets, step);
      });
  } finally {
    training.dispose();
  }
  return trainedClassifier(training.network, shape.dimension, shape.classCount);
}

function trainedClassifier(network: Mlp, dimension: number, classCount: number): TrainedClassifier {
  const predictProbabilities = (input: Float32Array): Float32Array =>
    tf.tidy(() => {
      const { output } = network.apply(tf.tensor2d(input, [input.length / dimension, dimension]));
      return tf.softmax(output).dataSync() as Float32Array;
    });
  return {
    network,
    predictProbabilities,
    predict(input) {
      const probabilities = predictProbabilities(input);
      return Int32Array.from({ length: probabilities.length / classCount }, (_, row) => {
        let best = 0;
        for (let c = 1; c < classCount; c++)
          if (probabilities[row * classCount + c]! > probabilities[row * classCount + best]!) best = c;
        return best;
      });
    },
    dispose: () => network.dispose(),
  };
}
