import * as tf from '@tensorflow/tfjs';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { applyStandardiser, fitStandardiser, type Standardiser } from '../stats/standardise.js';
import { createRng, cryptoRng, normalSamples, type Rng } from '../random/rng.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import {
  checkpointPrivateSeed,
  loadCheckpoint,
  saveCheckpoint,
  trainingFingerprint,
  type CheckpointState,
} from './checkpoint.js';
import { privateMoments } from '../privacy/private-moments.js';
import { combineMoments } from '../aggregation/moments.js';
import { createClassifierPool, type ClassifierPool } from './classifier-pool.js';
import { resolveDistillConfig, type DistillConfig, type DistillOptions } from '../generator/distill-config.js';
import { diversityLoss } from './losses/diversity.js';
import {
  classMeans,
  clipRows,
  featureMatchingLoss,
  featureMatchingToMeans,
  privateClassMeans,
  type ClassMeans,
} from './losses/feature-matching.js';
import { softmaxMatchingLoss } from './losses/softmax-matching.js';
import { speakerInvarianceLoss } from './losses/speaker-invariance.js';
import { trainClassifier, type TrainedClassifier } from '../models/mlp-classifier.js';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { accountTrainingPrivacy, privateStepCount, type TrainingPrivacy } from '../privacy/training-privacy.js';
import { generatorAdversarialLoss } from './losses/wgan-gp.js';
import { criticLossAndGradients } from './losses/wgan-gp-gradients.js';
import { LEAKY_SLOPE } from '../models/mlp.js';
import { createFusedAdam, type FusedAdam } from '../optim/fused-adam.js';
import { createDistillNetworks, type DistillNetworks } from './networks.js';
import { createWeightAverage } from './weight-average.js';
import { trainLabeler } from './labeler.js';

/** Loss values of one generator step; a term that is switched off (weight 0) reads 0. */
export interface StepLosses {
  readonly critic: number;
  readonly wasserstein: number;
  readonly adversarial: number;
  readonly featureMatching: number;
  readonly softmaxMatching: number;
  readonly poolMatching: number;
  readonly speakerInvariance: number;
  readonly diversity: number;
}

export interface DistillProgress {
  readonly step: number;
  readonly steps: number;
  readonly losses: StepLosses;
}

export interface DistillRunOptions {
  /** Save the training state here every `everySteps` generator steps, and resume from it when present. */
  readonly checkpoint?: { readonly path: string; readonly everySteps: number };
  /** Called every `progressEverySteps` generator steps (and after the last). */
  readonly onProgress?: (progress: DistillProgress) => void;
  /** Default 25. Reading losses back from the backend costs a sync, so not every step. */
  readonly progressEverySteps?: number;
  /** DP-SGD's secret seed (see DistillTrainerOptions); default a fresh cryptographic one. */
  readonly privateSeed?: number;
}

/** What a finished distillation produces: everything a generator bundle holds. */
export interface DistillResult {
  readonly config: DistillConfig;
  readonly generatorWeights: WeightSnapshot;
  /** Present when config.labelerHiddenUnits is not empty. */
  readonly labelerWeights?: WeightSnapshot;
  readonly standardiser: Standardiser;
  readonly classNames: readonly string[];
  readonly dimension: number;
  readonly steps: number;
  readonly seconds: number;
  /** With DP-SGD (config.dpClipNorm > 0): what the accountant gives for this training. */
  readonly privacy?: TrainingPrivacy;
}

/** Class-balanced minibatch: a uniformly drawn class, then a uniformly drawn row of it. */
function sampleBalancedRows(rowsByClass: readonly Int32Array[], batchSize: number, rng: Rng): Int32Array {
  const present = rowsByClass.filter((rows) => rows.length > 0);
  return Int32Array.from({ length: batchSize }, () => {
    const rows = present[Math.floor(rng.next() * present.length)]!;
    return rows[Math.floor(rng.next() * rows.length)]!;
  });
}

/**
 * Seeds the pool members hold after `stepsDone` generator steps: member i starts with seed·1000+i,
 * and the refresh at step r (every poolRefreshSteps) retrains member (r / poolRefreshSteps) mod size.
 * Deterministic, so a resumed run retrains exactly the pool an uninterrupted run would hold.
 */
function poolSeedsAfter(config: DistillConfig, stepsDone: number): number[] {
  const seeds = Array.from({ length: config.poolSize }, (_, i) => config.seed * 1000 + i);
  for (let step = config.poolRefreshSteps; step < stepsDone; step += config.poolRefreshSteps) {
    seeds[(step / config.poolRefreshSteps) % config.poolSize] = stepSeed(config.seed, step, 99);
  }
  return seeds;
}

/** A per-step seed: any step's randomness can be replayed without the steps before it. */
function stepSeed(seed: number, step: number, stream: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * The distillator's training state on one training set: networks, optimizers, the classifier
 * pool and the data as tensors. Owns them all until `dispose`.
 */
export interface DistillTrainer {
  readonly config: DistillConfig;
  readonly standardiser: Standardiser;
  readonly checkpointState: CheckpointState;
  /** Rebuilds the classifier pool as it stands after `stepsDone` steps (none when β = 0). */
  preparePool(stepsDone: number): void;
  /** One generator step (n_critic critic updates first); losses only when `report` (a backend sync). */
  step(step: number, report: boolean): StepLosses | undefined;
  generatorWeights(): WeightSnapshot;
  /** The moving average of the generator's weights (config.emaDecay > 0), else its weights: what a distillation releases. */
  releasedGeneratorWeights(): WeightSnapshot;
  /** Replaces the generator's weights (federation: the round's global generator); critic, optimizers and pool stay. */
  loadGeneratorWeights(weights: WeightSnapshot, source: string): void;
  dispose(): void;
}

export interface DistillTrainerOptions {
  /** Standardisation to train in (federation: the global one from every site's moments); default: fitted on `set`. */
  readonly standardiser?: Standardiser;
  /** Added to every noise vector (federation: this site's region of the latent space); default none. */
  readonly latentOffset?: Float32Array;
  /**
   * Under DP-SGD, the seed of the Poisson batches and of the noise. DP needs them secret, and
   * `config.seed` is published with the generator, so by default a fresh one from the platform's
   * cryptographic generator, never stored in the bundle. Tests give one to compare runs.
   */
  readonly privateSeed?: number;
}

/** A 32-bit seed from the platform's cryptographic generator. */
function secretSeed(): number {
  return Math.floor(cryptoRng().next() * 2 ** 32);
}

/** Builds the trainer; standardisation is fitted on `set` only unless one is given. */
export function createDistillTrainer(
  set: FeatureSet,
  config: DistillConfig,
  options: DistillTrainerOptions = {},
): DistillTrainer {
  const standardiser = options.standardiser ?? fitStandardiser(set.features, set.dimension);
  const labels = labelIndices(set);
  const classCount = set.classNames.length;
  const standardised = applyStandardiser(set.features, standardiser);
  const networks = createDistillNetworks({ dimension: set.dimension, classCount }, config);
  const generatorOptimizer = createFusedAdam(networks.generator.variables, {
    learningRate: config.generatorLearningRate,
    beta1: 0.5,
    beta2: 0.9,
  });
  const criticOptimizer = createFusedAdam(networks.critic.variables, {
    learningRate: config.criticLearningRate,
    beta1: 0.5,
    beta2: 0.9,
  });
  const inputs = {
    x: standardised,
    labels,
    dimension: set.dimension,
    classCount,
    rowsByClass: set.classNames.map((_, c) => Int32Array.from([...labels.keys()].filter((row) => labels[row] === c))),
    config,
  };
  let pool: ClassifierPool | undefined;
  const speakerProbe = config.speakerInvarianceWeight > 0 ? trainSpeakerProbe(set, standardised, config) : undefined;
  const average = config.emaDecay > 0 ? createWeightAverage(networks.generator, config.emaDecay) : undefined;
  const randomness = {
    privateSeed: config.dpClipNorm > 0 ? (options.privateSeed ?? secretSeed()) : undefined,
  };
  return {
    config,
    standardiser,
    checkpointState: {
      generator: networks.generator,
      critic: networks.critic,
      generatorOptimizer,
      criticOptimizer,
      ...(average && { generatorAverage: average }),
      randomness,
    },
    preparePool(stepsDone) {
      pool?.dispose();
      // With L_SML and L_DM off the pool would only cost time.
      pool =
        config.softmaxMatchingWeight > 0 || config.poolMatchingWeight > 0
          ? createClassifierPool(
              { x: standardised, labels, dimension: set.dimension, classCount },
              {
                memberSeeds: poolSeedsAfter(config, stepsDone),
                epochs: config.poolEpochs,
                maxSteps: config.poolMaxSteps,
              },
            )
          : undefined;
    },
    step(step, report) {
      if (pool && step > 0 && step % config.poolRefreshSteps === 0) {
        pool.refresh((step / config.poolRefreshSteps) % config.poolSize, stepSeed(config.seed, step, 99));
      }
      const losses = trainStep(
        { networks, pool, speakerProbe, generatorOptimizer, criticOptimizer },
        {
          ...inputs,
          latentOffset: options.latentOffset,
          step,
          report,
          randomSeed: randomness.privateSeed ?? config.seed,
        },
      );
      average?.update();
      return losses;
    },
    generatorWeights: () => toSnapshot(networks.generator),
    releasedGeneratorWeights: () => average?.snapshot() ?? toSnapshot(networks.generator),
    loadGeneratorWeights: (weights, source) => applySnapshot(networks.generator, weights, source),
    dispose() {
      networks.dispose();
      pool?.dispose();
      speakerProbe?.dispose();
      average?.dispose();
      generatorOptimizer.dispose();
      criticOptimizer.dispose();
    },
  };
}

export interface TrainStepsOptions {
  /** Called every `progressEverySteps` steps of the range (default 25) and after its last, with absolute step numbers. */
  readonly onProgress?: (progress: DistillProgress) => void;
  readonly progressEverySteps?: number;
  /** Awaited after every step with the steps done so far: checkpointing, yielding to the event loop, stopping. */
  readonly afterStep?: (stepsDone: number) => Promise<void> | void;
}

/**
 * The outer training loop, shared by a local distillation and a site's round: generator steps
 * [from, to) of `trainer`. Losses are read back (a backend sync) only for progress reports.
 * @returns the losses of the last step
 */
export async function trainSteps(
  trainer: DistillTrainer,
  from: number,
  to: number,
  options: TrainStepsOptions = {},
): Promise<StepLosses | undefined> {
  const every = options.progressEverySteps ?? 25;
  let last: StepLosses | undefined;
  for (let step = from; step < to; step++) {
    const losses = trainer.step(step, (step + 1 - from) % every === 0 || step === to - 1);
    if (losses) {
      last = losses;
      options.onProgress?.({ step: step + 1, steps: to, losses });
    }
    await options.afterStep?.(step + 1);
  }
  return last;
}

/**
 * Trains the distillator (DESIGN §3) on a training set: WGAN-GP critic updates, then one
 * generator update with L_adv + α·L_FM + β·L_SML + γ·L_DIV (+ δ·L_DM + ζ·L_SPK when on). Seeded: the same set, config and
 * backend give the same generator, also when resumed from a checkpoint.
 */
export async function distill(
  set: FeatureSet,
  options: DistillOptions = {},
  run: DistillRunOptions = {},
): Promise<DistillResult> {
  const config = resolveDistillConfig(options);
  const started = performance.now();
  // A resumed private run continues with its checkpoint's secret seed, which the private standardiser also draws from.
  const privateSeed =
    config.dpClipNorm > 0
      ? ((run.checkpoint && (await checkpointPrivateSeed(run.checkpoint.path))) ?? run.privateSeed ?? secretSeed())
      : undefined;
  const privateStandardiser =
    privateSeed !== undefined && config.dpStandardiserNoiseMultiplier > 0
      ? combineMoments([
          privateMoments(set.features, set.dimension, {
            noiseMultiplier: config.dpStandardiserNoiseMultiplier,
            rng: createRng(stepSeed(privateSeed, 0, 4000)),
          }).moments,
        ])
      : undefined;
  const trainer = createDistillTrainer(set, config, {
    ...(privateSeed !== undefined && { privateSeed }),
    ...(privateStandardiser && { standardiser: privateStandardiser }),
  });
  try {
    const fingerprint = trainingFingerprint(set, config);
    const startStep = run.checkpoint
      ? await loadCheckpoint(run.checkpoint.path, trainer.checkpointState, fingerprint)
      : 0;
    trainer.preparePool(startStep);
    await trainSteps(trainer, startStep, config.steps, {
      onProgress: run.onProgress,
      progressEverySteps: run.progressEverySteps,
      afterStep: async (stepsDone) => {
        if (run.checkpoint && (stepsDone % run.checkpoint.everySteps === 0 || stepsDone === config.steps))
          await saveCheckpoint(run.checkpoint.path, trainer.checkpointState, { step: stepsDone, fingerprint });
      },
    });
    const labelerWeights =
      config.labelerHiddenUnits.length > 0
        ? trainLabeler(
            {
              x: applyStandardiser(set.features, trainer.standardiser),
              labels: labelIndices(set),
              dimension: set.dimension,
              classCount: set.classNames.length,
            },
            config.labelerHiddenUnits,
            config.seed,
          )
        : undefined;
    return {
      config,
      generatorWeights: trainer.releasedGeneratorWeights(),
      ...(labelerWeights && { labelerWeights }),
      standardiser: trainer.standardiser,
      classNames: set.classNames,
      dimension: set.dimension,
      steps: config.steps,
      seconds: (performance.now() - started) / 1000,
      ...(config.dpClipNorm > 0 && {
        privacy: accountTrainingPrivacy(set, config, privateStepCount(config, config.steps)),
      }),
    };
  } finally {
    trainer.dispose();
  }
}

/**
 * The speaker probe of L_SPK: a classifier of the training set's speakers on its standardised rows,
 * trained once (the members do not change during a distillation).
 */
function trainSpeakerProbe(set: FeatureSet, standardised: Float32Array, config: DistillConfig): TrainedClassifier {
  const speakers = [...new Set(set.speakers)].sort();
  if (speakers.length < 2)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `distill option speakerInvarianceWeight: the training set has ${speakers.length} speaker(s); speaker invariance needs at least 2`,
    );
  const index = new Map(speakers.map((speaker, i) => [speaker, i]));
  return trainClassifier(
    {
      x: standardised,
      labels: Int32Array.from(set.speakers, (speaker) => index.get(speaker)!),
      dimension: set.dimension,
      classCount: speakers.length,
    },
    { hiddenUnits: [256], epochs: config.poolEpochs, maxSteps: config.poolMaxSteps, seed: config.seed * 1000 + 777 },
  );
}

interface TrainingState {
  readonly networks: DistillNetworks;
  readonly pool: ClassifierPool | undefined;
  readonly speakerProbe: TrainedClassifier | undefined;
  readonly generatorOptimizer: FusedAdam;
  readonly criticOptimizer: FusedAdam;
}

interface StepInputs {
  /** Standardised features, row-major [rows, dimension]. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly dimension: number;
  readonly classCount: number;
  readonly rowsByClass: readonly Int32Array[];
  readonly config: DistillConfig;
  readonly latentOffset: Float32Array | undefined;
  /** Seeds the batches and DP's noise: config.seed, or DP's secret seed when private. */
  readonly randomSeed: number;
  readonly step: number;
  /** Read the losses back (a backend sync) only when they will be reported. */
  readonly report: boolean;
}

/** Real minibatches, stacked: rows of `x` and their one-hot labels, with each batch's size. */
interface Batches {
  readonly real: Float32Array;
  readonly oneHot: Float32Array;
  readonly sizes: readonly number[];
}

/**
 * Minibatches are assembled here and uploaded whole (a tf.gather per batch cost more than the
 * copy): `blocks` batches of rows of `x` with their one-hot labels, drawn by config.batchSampling.
 * Without `withRows` only the labels are filled (the rows would not be read).
 */
function drawBatches(inputs: StepInputs, rng: Rng, blocks: number, withRows = true): Batches {
  const { x, labels, dimension, classCount, rowsByClass, config } = inputs;
  const picks = Array.from({ length: blocks }, () =>
    config.batchSampling === 'poisson'
      ? poissonRows(labels.length, config.batchSize / labels.length, rng)
      : sampleBalancedRows(rowsByClass, config.batchSize, rng),
  );
  const count = picks.reduce((sum, rows) => sum + rows.length, 0);
  const real = new Float32Array(withRows ? count * dimension : 0);
  const oneHot = new Float32Array(count * classCount);
  let at = 0;
  for (const row of picks.flatMap((rows) => Array.from(rows))) {
    if (withRows) real.set(x.subarray(row * dimension, (row + 1) * dimension), at * dimension);
    oneHot[at * classCount + labels[row]!] = 1;
    at++;
  }
  return { real, oneHot, sizes: picks.map((rows) => rows.length) };
}

/** Poisson sampling: each of `rows` rows independently with probability `rate` (DP-SGD's batches). */
function poissonRows(rows: number, rate: number, rng: Rng): Int32Array {
  const picked: number[] = [];
  for (let row = 0; row < rows; row++) if (rng.next() < rate) picked.push(row);
  return Int32Array.from(picked);
}

/** `rows` noise vectors z ~ N(offset, I), row-major. */
function latentNoise(rows: number, inputs: StepInputs, rng: Rng): Float32Array {
  const width = inputs.config.noiseDimension;
  const noise = normalSamples(rows * width, rng);
  const offset = inputs.latentOffset;
  if (offset) for (let i = 0; i < noise.length; i++) noise[i]! += offset[i % width]!;
  return noise;
}

/** [real; fake; x̂] with their labels, x̂ = fake + ε·(real − fake): the critic's one pass (DESIGN §7). */
function stackCriticInputs(
  real: tf.Tensor2D,
  fake: tf.Tensor2D,
  epsilon: tf.Tensor2D,
  oneHot: Float32Array,
): tf.Tensor2D {
  const rows = real.shape[0];
  const interpolated = tf.add(fake, tf.mul(epsilon, tf.sub(real, fake)));
  const oneHotThrice = new Float32Array(3 * oneHot.length);
  for (let i = 0; i < 3; i++) oneHotThrice.set(oneHot, i * oneHot.length);
  return tf.concat(
    [tf.concat([real, fake, interpolated], 0), tf.tensor2d(oneHotThrice, [3 * rows, oneHot.length / rows])],
    1,
  ) as tf.Tensor2D;
}

/** Private L_FM's real side: the critic's features of a Poisson batch, as noised class means (one private step). */
function privateRealMeans(networks: DistillNetworks, batch: Batches, inputs: StepInputs): ClassMeans {
  const { dimension, classCount, config, step } = inputs;
  const rows = batch.sizes[0]!;
  const oneHot = tf.tensor2d(batch.oneHot, [rows, classCount]);
  const features =
    rows > 0
      ? networks.criticize(tf.tensor2d(batch.real, [rows, dimension]), oneHot).features
      : tf.zeros([0, config.hiddenUnits[config.hiddenUnits.length - 1]!]);
  return privateClassMeans(features as tf.Tensor2D, oneHot, classCount, {
    clipNorm: config.dpFeatureClipNorm,
    noiseMultiplier: config.dpNoiseMultiplier,
    seed: stepSeed(inputs.randomSeed, step, 3000),
  });
}

function trainStep(state: TrainingState, inputs: StepInputs): StepLosses | undefined {
  const { networks, pool, speakerProbe, generatorOptimizer, criticOptimizer } = state;
  const { dimension, classCount, config, step } = inputs;
  const rng = createRng(stepSeed(inputs.randomSeed, step, 0));
  const batch = config.batchSize;
  const critics = config.criticSteps;
  const criticVariables = networks.critic.variables as tf.Variable[];
  const generatorVariables = networks.generator.variables as tf.Variable[];
  const criticWeights = {
    kernels: criticVariables.filter((_, i) => i % 2 === 0) as tf.Tensor[] as tf.Tensor2D[],
    biases: criticVariables.filter((_, i) => i % 2 === 1) as tf.Tensor[] as tf.Tensor1D[],
    negativeSlope: LEAKY_SLOPE,
  };

  // G is fixed during the critic updates, so the fakes of all of them come from one generator pass.
  const criticBatches = drawBatches(inputs, rng, critics);
  const fakeRows = criticBatches.sizes.reduce((sum, size) => sum + size, 0);
  const fakes = tf.tidy(() =>
    networks.generate(
      tf.tensor2d(latentNoise(fakeRows, inputs, createRng(stepSeed(config.seed, step, 1))), [
        fakeRows,
        config.noiseDimension,
      ]),
      tf.tensor2d(criticBatches.oneHot, [fakeRows, classCount]),
    ),
  );
  const clipping = config.dpClipNorm > 0 ? { clipNorm: config.dpClipNorm } : {};
  // DP-SGD's noise on the clipped sum, divided like the gradients by the (expected) batch size.
  const noiseStd = (config.dpNoiseMultiplier * config.dpClipNorm) / batch;
  let criticLossValue: tf.Scalar | undefined;
  let wasserstein: tf.Scalar | undefined;
  try {
    for (let k = 0, offset = 0; k < critics; offset += criticBatches.sizes[k]!, k++) {
      const rows = criticBatches.sizes[k]!;
      tf.dispose([criticLossValue, wasserstein]);
      [criticLossValue, wasserstein] = tf.tidy(() => {
        const block = (data: Float32Array, width: number): Float32Array =>
          data.subarray(offset * width, (offset + rows) * width);
        const epsilon = Float32Array.from({ length: rows }, () => rng.next());
        const result =
          rows > 0
            ? criticLossAndGradients(
                criticWeights,
                stackCriticInputs(
                  tf.tensor2d(block(criticBatches.real, dimension), [rows, dimension]),
                  fakes.slice([offset, 0], [rows, -1]),
                  tf.tensor2d(epsilon, [rows, 1]),
                  block(criticBatches.oneHot, classCount),
                ),
                {
                  batch: rows,
                  gradientColumns: dimension,
                  gradientPenaltyWeight: config.gradientPenaltyWeight,
                  normaliser: batch,
                  ...clipping,
                },
              )
            : undefined;
        // An empty Poisson batch still takes its (noise-only) step when private, as the accountant counts it.
        if (!result && noiseStd === 0) return [tf.scalar(0), tf.scalar(0)] as const;
        const gradients = criticVariables.map((variable, i) => {
          const gradient = result
            ? i % 2 === 0
              ? result.kernelGradients[i / 2]!
              : result.biasGradients[(i - 1) / 2]!
            : tf.zerosLike(variable);
          return noiseStd > 0
            ? tf.add(
                gradient,
                tf.randomNormal(
                  variable.shape,
                  0,
                  noiseStd,
                  'float32',
                  stepSeed(inputs.randomSeed, step, 200 + 100 * k + i),
                ),
              )
            : gradient;
        });
        criticOptimizer.apply(gradients);
        return [result?.loss ?? tf.scalar(0), result?.wasserstein ?? tf.scalar(0)] as const;
      });
    }
  } finally {
    fakes.dispose();
  }

  const generatorTerms = tf.tidy(() => {
    // Real rows are read only by L_FM and the pool's terms; otherwise only labels are drawn. Private
    // L_FM reads its own Poisson batch, never this class-balanced one.
    const privateFeatureMatching = config.dpFeatureClipNorm > 0 && config.featureMatchingWeight > 0;
    const readsRealRows = (config.featureMatchingWeight > 0 && !privateFeatureMatching) || pool !== undefined;
    const generatorBatch = drawBatches(
      { ...inputs, config: { ...config, batchSampling: 'balanced' } },
      rng,
      1,
      readsRealRows,
    );
    const real = readsRealRows ? tf.tensor2d(generatorBatch.real, [batch, dimension]) : undefined;
    const oneHot = tf.tensor2d(generatorBatch.oneHot, [batch, classCount]);
    // With L_DIV on, two noise draws share the labels: both feed every term, their difference feeds L_DIV.
    const draws = config.diversityWeight > 0 ? 2 : 1;
    const noise = tf.tensor2d(latentNoise(draws * batch, inputs, createRng(stepSeed(config.seed, step, 1000))), [
      draws * batch,
      config.noiseDimension,
    ]);
    const fakeOneHot = draws === 2 ? (tf.concat([oneHot, oneHot], 0) as tf.Tensor2D) : oneHot;
    // Real-side inputs of L_FM and L_SML depend on no generator weight: computed once, outside the tape.
    const realMeans = privateFeatureMatching
      ? privateRealMeans(networks, drawBatches(inputs, rng, 1), inputs)
      : real && config.featureMatchingWeight > 0
        ? classMeans(networks.criticize(real, oneHot).features, oneHot)
        : undefined;
    const realPool = real && pool?.members.map((member) => member.network.apply(real));
    const terms: Partial<
      Record<
        'adversarial' | 'featureMatching' | 'softmaxMatching' | 'poolMatching' | 'speakerInvariance' | 'diversity',
        tf.Scalar
      >
    > = {};
    const { value, grads } = tf.variableGrads(() => {
      const fake = networks.generate(noise, fakeOneHot);
      const fakeA = draws === 2 ? (fake.slice([0, 0], [batch, -1]) as tf.Tensor2D) : fake;
      const { score, features } = networks.criticize(fake, fakeOneHot);
      const weighted: tf.Scalar[] = [];
      const add = (name: keyof typeof terms, value: tf.Scalar, weight: number): void => {
        terms[name] = tf.keep(value);
        weighted.push(weight === 1 ? value : (tf.mul(value, weight) as tf.Scalar));
      };
      add('adversarial', generatorAdversarialLoss(score), 1);
      if (realMeans)
        add(
          'featureMatching',
          // Private class means are of clipped features: the fakes' are clipped alike, so the two compare.
          featureMatchingToMeans(
            realMeans,
            privateFeatureMatching ? clipRows(features, config.dpFeatureClipNorm) : features,
            fakeOneHot,
          ),
          config.featureMatchingWeight,
        );
      if (pool && realPool) {
        const fakePool = pool.members.map((member) => member.network.apply(fakeA));
        if (config.softmaxMatchingWeight > 0)
          add(
            'softmaxMatching',
            softmaxMatchingLoss(
              realPool.map((r) => r.output),
              fakePool.map((f) => f.output),
            ),
            config.softmaxMatchingWeight,
          );
        if (config.poolMatchingWeight > 0)
          add(
            'poolMatching',
            tf.div(
              tf.addN(
                realPool.map((r, i) => featureMatchingLoss(r.penultimate, oneHot, fakePool[i]!.penultimate, oneHot)),
              ),
              realPool.length,
            ) as tf.Scalar,
            config.poolMatchingWeight,
          );
      }
      if (speakerProbe)
        add(
          'speakerInvariance',
          speakerInvarianceLoss(speakerProbe.network.apply(fakeA).output),
          config.speakerInvarianceWeight,
        );
      if (draws === 2) {
        const fakeB = fake.slice([batch, 0], [batch, -1]) as tf.Tensor2D;
        add(
          'diversity',
          diversityLoss(fakeA, fakeB, noise.slice([0, 0], [batch, -1]), noise.slice([batch, 0], [batch, -1])),
          config.diversityWeight,
        );
      }
      // A lone term is kept for reporting, so the total goes back as a clone of it.
      return (weighted.length === 1 ? tf.clone(weighted[0]!) : tf.addN(weighted)) as tf.Scalar;
    }, generatorVariables);
    value.dispose();
    generatorOptimizer.apply(generatorVariables.map((variable) => grads[variable.name]!));
    return terms;
  });

  try {
    if (!inputs.report) return undefined;
    const read = (t: tf.Scalar | undefined): number => (t ? t.dataSync()[0]! : 0);
    return {
      critic: read(criticLossValue),
      wasserstein: read(wasserstein),
      adversarial: read(generatorTerms.adversarial),
      featureMatching: read(generatorTerms.featureMatching),
      softmaxMatching: read(generatorTerms.softmaxMatching),
      poolMatching: read(generatorTerms.poolMatching),
      speakerInvariance: read(generatorTerms.speakerInvariance),
      diversity: read(generatorTerms.diversity),
    };
  } finally {
    tf.dispose([...Object.values(generatorTerms), criticLossValue, wasserstein]);
  }
}
