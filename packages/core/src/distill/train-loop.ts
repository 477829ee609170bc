import * as tf from '@tensorflow/tfjs';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { applyStandardiser, fitStandardiser, type Standardiser } from '../evaluate/standardise.js';
import { createRng, type Rng } from '../random/rng.js';
import { toSnapshot, type WeightSnapshot } from '../tensors/weight-snapshot.js';
import { loadCheckpoint, saveCheckpoint, trainingFingerprint } from './checkpoint.js';
import { createClassifierPool, type ClassifierPool } from './classifier-pool.js';
import { resolveDistillConfig, type DistillConfig, type DistillOptions } from './config.js';
import { diversityLoss } from './losses/diversity.js';
import { featureMatchingLoss } from './losses/feature-matching.js';
import { softmaxMatchingLoss } from './losses/softmax-matching.js';
import { criticLoss, generatorAdversarialLoss } from './losses/wgan-gp.js';
import { createDistillNetworks, type DistillNetworks } from './networks.js';

/** Loss figures of one generator step (means over nothing: the step's own values). */
export interface StepLosses {
  readonly critic: number;
  readonly wasserstein: number;
  readonly adversarial: number;
  readonly featureMatching: number;
  readonly softmaxMatching: number;
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
}

/** What a finished distillation produces: everything a generator bundle holds. */
export interface DistillResult {
  readonly config: DistillConfig;
  readonly generatorWeights: WeightSnapshot;
  readonly standardiser: Standardiser;
  readonly classNames: readonly string[];
  readonly dimension: number;
  readonly steps: number;
  readonly seconds: number;
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

interface TrainingState {
  readonly networks: DistillNetworks;
  readonly pool: ClassifierPool;
  readonly generatorOptimizer: tf.Optimizer;
  readonly criticOptimizer: tf.Optimizer;
}

/**
 * Trains the distillator (DESIGN §3) on a training set: WGAN-GP critic updates, then one
 * generator update with L_adv + α·L_FM + β·L_SML + γ·L_DIV. Standardisation is fitted on this
 * set only. Seeded: the same set, config and backend give the same generator.
 */
export async function distill(set: FeatureSet, options: DistillOptions = {}, run: DistillRunOptions = {}): Promise<DistillResult> {
  const config = resolveDistillConfig(options);
  const started = performance.now();
  const standardiser = fitStandardiser(set.features, set.dimension);
  const labels = labelIndices(set);
  const classCount = set.classNames.length;
  const rowsByClass = set.classNames.map((_, c) => Int32Array.from([...labels.keys()].filter((row) => labels[row] === c)));
  const standardised = applyStandardiser(set.features, standardiser);
  const networks = createDistillNetworks({ dimension: set.dimension, classCount }, config);
  const generatorOptimizer = tf.train.adam(config.generatorLearningRate, 0.5, 0.9);
  const criticOptimizer = tf.train.adam(config.criticLearningRate, 0.5, 0.9);
  const checkpointState = { generator: networks.generator, critic: networks.critic, generatorOptimizer, criticOptimizer };
  const fingerprint = trainingFingerprint(set, config);
  const x = tf.tensor2d(standardised, [labels.length, set.dimension]);
  const oneHotAll = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classCount).toFloat() as tf.Tensor2D);
  let pool: ClassifierPool | undefined;
  try {
    const startStep = run.checkpoint ? await loadCheckpoint(run.checkpoint.path, checkpointState, fingerprint) : 0;
    pool = createClassifierPool({ x: standardised, labels, dimension: set.dimension, classCount }, { memberSeeds: poolSeedsAfter(config, startStep), epochs: config.poolEpochs });
    const state: TrainingState = { networks, pool, generatorOptimizer, criticOptimizer };
    const every = run.progressEverySteps ?? 25;
    for (let step = startStep; step < config.steps; step++) {
      if (step > 0 && step % config.poolRefreshSteps === 0) {
        pool.refresh((step / config.poolRefreshSteps) % config.poolSize, stepSeed(config.seed, step, 99));
      }
      const report = (step + 1) % every === 0 || step === config.steps - 1;
      const losses = trainStep(state, { x, oneHotAll, rowsByClass, config, step, report });
      if (report && losses) run.onProgress?.({ step: step + 1, steps: config.steps, losses });
      if (run.checkpoint && ((step + 1) % run.checkpoint.everySteps === 0 || step === config.steps - 1)) {
        await saveCheckpoint(run.checkpoint.path, checkpointState, { step: step + 1, fingerprint });
      }
    }
    return {
      config,
      generatorWeights: toSnapshot(networks.generator),
      standardiser,
      classNames: set.classNames,
      dimension: set.dimension,
      steps: config.steps,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    x.dispose();
    oneHotAll.dispose();
    networks.dispose();
    pool?.dispose();
    generatorOptimizer.dispose();
    criticOptimizer.dispose();
  }
}

interface StepInputs {
  readonly x: tf.Tensor2D;
  readonly oneHotAll: tf.Tensor2D;
  readonly rowsByClass: readonly Int32Array[];
  readonly config: DistillConfig;
  readonly step: number;
  /** Read the losses back (a backend sync) only when they will be reported. */
  readonly report: boolean;
}

function trainStep(state: TrainingState, inputs: StepInputs): StepLosses | undefined {
  const { networks, pool, generatorOptimizer, criticOptimizer } = state;
  const { x, oneHotAll, rowsByClass, config, step } = inputs;
  const rng = createRng(stepSeed(config.seed, step, 0));
  const batch = config.batchSize;
  const criticVariables = networks.critic.variables as tf.Variable[];
  const generatorVariables = networks.generator.variables as tf.Variable[];
  const drawReal = (): { real: tf.Tensor2D; oneHot: tf.Tensor2D } => {
    const rows = tf.tensor1d(sampleBalancedRows(rowsByClass, batch, rng), 'int32');
    return { real: tf.gather(x, rows) as tf.Tensor2D, oneHot: tf.gather(oneHotAll, rows) as tf.Tensor2D };
  };

  let criticLossValue: tf.Scalar | undefined;
  let wasserstein: tf.Scalar | undefined;
  for (let k = 0; k < config.criticSteps; k++) {
    tf.dispose([criticLossValue, wasserstein]);
    [criticLossValue, wasserstein] = tf.tidy(() => {
      const { real, oneHot } = drawReal();
      const seed = stepSeed(config.seed, step, k + 1);
      const fake = networks.generate(tf.randomNormal([batch, config.noiseDimension], 0, 1, 'float32', seed), oneHot);
      const epsilon = tf.randomUniform([batch, 1], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
      const oneHotTwice = tf.concat([oneHot, oneHot], 0) as tf.Tensor2D;
      let w: tf.Scalar | undefined;
      const loss = criticOptimizer.minimize(
        () => {
          const result = criticLoss(
            (stacked) => networks.criticize(stacked, oneHotTwice).score,
            (interpolated) => networks.criticize(interpolated, oneHot).score,
            { real, fake, epsilon },
            config.gradientPenaltyWeight,
          );
          w = tf.keep(result.wasserstein);
          return result.loss;
        },
        true,
        criticVariables,
      )!;
      return [loss, w!] as const;
    });
  }

  const generatorTerms = tf.tidy(() => {
    const { real, oneHot } = drawReal();
    const seed = stepSeed(config.seed, step, 1000);
    const noiseA = tf.randomNormal([batch, config.noiseDimension], 0, 1, 'float32', seed) as tf.Tensor2D;
    const noiseB = tf.randomNormal([batch, config.noiseDimension], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    const realLogits = pool.members.map((member) => member.network.apply(real).output);
    const realCritic = networks.criticize(real, oneHot).features;
    const terms: tf.Scalar[] = [];
    generatorOptimizer.minimize(
      () => {
        // Two noise draws with the same labels: both feed every term; their difference feeds L_DIV.
        const fake = networks.generate(tf.concat([noiseA, noiseB], 0) as tf.Tensor2D, tf.concat([oneHot, oneHot], 0) as tf.Tensor2D);
        const fakeA = fake.slice([0, 0], [batch, -1]) as tf.Tensor2D;
        const fakeB = fake.slice([batch, 0], [batch, -1]) as tf.Tensor2D;
        const { score, features } = networks.criticize(fake, tf.concat([oneHot, oneHot], 0) as tf.Tensor2D);
        const adversarial = generatorAdversarialLoss(score);
        const matching = featureMatchingLoss(realCritic, oneHot, features, tf.concat([oneHot, oneHot], 0) as tf.Tensor2D);
        const softmax = softmaxMatchingLoss(realLogits, pool.members.map((member) => member.network.apply(fakeA).output));
        const diversity = diversityLoss(fakeA, fakeB, noiseA, noiseB);
        terms.push(...[adversarial, matching, softmax, diversity].map((t) => tf.keep(t)));
        return tf.addN([adversarial, tf.mul(matching, config.featureMatchingWeight), tf.mul(softmax, config.softmaxMatchingWeight), tf.mul(diversity, config.diversityWeight)]) as tf.Scalar;
      },
      false,
      generatorVariables,
    );
    return terms;
  });

  try {
    if (!inputs.report) return undefined;
    const [adversarial, featureMatching, softmaxMatching, diversity] = generatorTerms.map((t) => t.dataSync()[0]!);
    return { critic: criticLossValue!.dataSync()[0]!, wasserstein: wasserstein!.dataSync()[0]!, adversarial: adversarial!, featureMatching: featureMatching!, softmaxMatching: softmaxMatching!, diversity: diversity! };
  } finally {
    tf.dispose([...generatorTerms, criticLossValue, wasserstein]);
  }
}
