import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { createRng } from '../random/rng.js';
import { toSnapshot } from '../models/weight-snapshot.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { expectEmodistillError, float32Bits, useTempDir } from '../../test/fixtures.js';
import { resolveDistillConfig, type DistillOptions } from '../generator/distill-config.js';
import { createDistillTrainer, distill, type DistillProgress } from './train-loop.js';
import { fitStandardiser } from '../stats/standardise.js';
import { useWasmBackend } from '../../test/backend.js';

/** 40 rows × 6 dims, three classes whose means differ, on an offset and scale that need standardising. */
function makeSet(seed = 1): FeatureSet {
  const rng = createRng(seed);
  const classNames = ['angry', 'happy', 'sad'];
  const emotions = Array.from({ length: 40 }, (_, i) => classNames[i % 3]!);
  const features = Float32Array.from({ length: 40 * 6 }, (_, i) => {
    const c = Math.floor(i / 6) % 3;
    const d = i % 6;
    return 100 * d + 3 * c * (d % 2 === 0 ? 1 : -1) + (rng.next() - 0.5);
  });
  return {
    ids: emotions.map((_, i) => `u${i}`),
    speakers: emotions.map((_, i) => `s${i % 4}`),
    emotions,
    sessions: emotions.map(() => ''),
    features,
    dimension: 6,
    classNames,
    spec: { name: 'synthetic', version: '1', params: {}, dimensionNames: ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'] },
    corpus: { source: 'synthetic', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

const TINY: DistillOptions = {
  hiddenUnits: [16],
  batchSize: 8,
  noiseDimension: 4,
  poolSize: 1,
  poolEpochs: 2,
  criticSteps: 2,
  steps: 4,
  seed: 3,
};

const bitsOf = (weights: WeightSnapshot): Uint32Array[] => weights.map((t) => float32Bits(t.values));

describe('distill', () => {
  const temp = useTempDir();
  useWasmBackend();

  it('returns the generator, the standardisation fitted on the set, and the resolved settings', async () => {
    // arrange
    const set = makeSet();

    // act
    const result = await distill(set, TINY);

    // assert
    expect(result.generatorWeights.map((t) => [t.name, t.shape])).toEqual([
      ['generator/dense0/kernel', [4 + 3, 16]],
      ['generator/dense0/bias', [16]],
      ['generator/dense1/kernel', [16, 6]],
      ['generator/dense1/bias', [6]],
    ]);
    expect(result.generatorWeights.every((t) => t.values.every(Number.isFinite))).toBe(true);
    expect(result.standardiser.mean[3]).toBeGreaterThan(290);
    expect(result.standardiser.mean[3]).toBeLessThan(310);
    expect(result.classNames).toEqual(['angry', 'happy', 'sad']);
    expect(result.dimension).toBe(6);
    expect(result.steps).toBe(4);
    expect(result.config).toMatchObject({ ...TINY, batchSize: 8, criticSteps: 2 });
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed, settings and set give bit-identical generator weights; another seed does not', async () => {
    // arrange
    const set = makeSet();

    // act
    const first = await distill(set, TINY);
    const second = await distill(set, TINY);
    const otherSeed = await distill(set, { ...TINY, seed: 4 });

    // assert
    expect(bitsOf(second.generatorWeights)).toEqual(bitsOf(first.generatorWeights));
    expect(bitsOf(otherSeed.generatorWeights)).not.toEqual(bitsOf(first.generatorWeights));
  });

  it('actually trains: the weights after 4 steps differ from those after 1', async () => {
    // arrange
    const set = makeSet();

    // act
    const one = await distill(set, { ...TINY, steps: 1 });
    const four = await distill(set, TINY);

    // assert
    expect(bitsOf(four.generatorWeights)).not.toEqual(bitsOf(one.generatorWeights));
  });

  it.each([
    { interrupted: 2, total: 4, settings: {} },
    // resumed within Adam's bias-correction warm-up, with pool refreshes (two members, round robin) before and after the resume point
    { interrupted: 13, total: 16, settings: { criticSteps: 1, poolSize: 2, poolRefreshSteps: 4 } },
    // the released weights are the generator's moving average, which the checkpoint carries
    { interrupted: 3, total: 6, settings: { emaDecay: 0.9 } },
  ])(
    'resumes from a checkpoint to exactly the weights of an uninterrupted run ($interrupted of $total steps)',
    async ({ interrupted, total, settings }) => {
      // arrange
      const set = makeSet();
      const pathA = join(temp.path, 'a.safetensors');
      const pathB = join(temp.path, 'b.safetensors');
      const options = { ...TINY, ...settings };
      const uninterrupted = await distill(
        set,
        { ...options, steps: total },
        { checkpoint: { path: pathA, everySteps: 2 } },
      );
      await distill(set, { ...options, steps: interrupted }, { checkpoint: { path: pathB, everySteps: 2 } });
      const progress: number[] = [];

      // act
      const resumed = await distill(
        set,
        { ...options, steps: total },
        { checkpoint: { path: pathB, everySteps: 2 }, progressEverySteps: 1, onProgress: (p) => progress.push(p.step) },
      );

      // assert
      expect(progress[0]).toBe(interrupted + 1);
      expect(bitsOf(resumed.generatorWeights)).toEqual(bitsOf(uninterrupted.generatorWeights));
      // the final checkpoints (networks, Adam moments and step) are byte-identical too
      expect(Buffer.compare(await readFile(pathB), await readFile(pathA))).toBe(0);
    },
  );

  it('refuses a checkpoint written for another data set or other settings, naming the checkpoint', async () => {
    // arrange
    const path = join(temp.path, 'c.safetensors');
    await distill(makeSet(1), { ...TINY, steps: 1 }, { checkpoint: { path, everySteps: 1 } });

    // act / assert
    await expectEmodistillError(
      () => distill(makeSet(2), TINY, { checkpoint: { path, everySteps: 1 } }),
      ERROR_CODES.bundleMismatch,
      path,
      'another training set',
    );
    await expectEmodistillError(
      () => distill(makeSet(1), { ...TINY, diversityWeight: 0 }, { checkpoint: { path, everySteps: 1 } }),
      ERROR_CODES.bundleMismatch,
      path,
    );
  });

  it('leaves no tensors or backend buffers behind, with or without checkpoints', async () => {
    // arrange
    const set = makeSet();
    const path = join(temp.path, 'leak.safetensors');
    await distill(set, { ...TINY, steps: 1 });
    const live = (): { tensors: number; data: number } => ({
      tensors: tf.memory().numTensors,
      data: tf.backend().numDataIds(),
    });
    const before = live();

    // act
    await distill(set, TINY);
    const afterPlain = live();
    await distill(set, { ...TINY, steps: 2 }, { checkpoint: { path, everySteps: 1 } });
    await distill(set, TINY, { checkpoint: { path, everySteps: 1 } });
    const afterResume = live();

    // assert
    expect(afterPlain).toEqual(before);
    expect(afterResume).toEqual(before);
  });

  it('trains with L_DM (pool distribution matching) alone, without L_SML: the pool is built for it and moves the generator', async () => {
    // arrange
    const set = makeSet();
    const options = { ...TINY, steps: 3, softmaxMatchingWeight: 0 };

    // act
    const without = await distill(set, options);
    const withMatching = await distill(set, { ...options, poolMatchingWeight: 1 });

    // assert
    expect(bitsOf(withMatching.generatorWeights)).not.toEqual(bitsOf(without.generatorWeights));
  });

  it('trains with L_SPK (speaker invariance): a speaker probe of the members moves the generator, and one speaker is refused', async () => {
    // arrange
    const set = makeSet();
    const oneSpeaker = { ...set, speakers: set.speakers.map(() => 's0') };

    // act
    const without = await distill(set, TINY);
    const invariant = await distill(set, { ...TINY, speakerInvarianceWeight: 1 });

    // assert
    expect(bitsOf(invariant.generatorWeights)).not.toEqual(bitsOf(without.generatorWeights));
    await expectEmodistillError(
      () => distill(oneSpeaker, { ...TINY, speakerInvarianceWeight: 1 }),
      ERROR_CODES.invalidOption,
      'needs at least 2',
    );
  });

  describe('DP-SGD on the critic', () => {
    // Nothing outside the critic reads real rows: the terms that would are off.
    const PRIVATE: DistillOptions = {
      ...TINY,
      featureMatchingWeight: 0,
      softmaxMatchingWeight: 0,
      batchSampling: 'poisson',
    };

    it('with σ = 0 and a clip norm nothing reaches, trains bit for bit as without DP (same Poisson batches)', async () => {
      // arrange
      const set = makeSet();

      // act
      const plain = await distill(set, PRIVATE);
      // The secret seed given as the public one: the same Poisson batches.
      const clippedNoNoise = await distill(
        set,
        { ...PRIVATE, dpClipNorm: 1e30, dpNoiseMultiplier: 0, dpStandardiserNoiseMultiplier: 0 },
        { privateSeed: TINY.seed },
      );

      // assert
      expect(bitsOf(clippedNoNoise.generatorWeights)).toEqual(bitsOf(plain.generatorWeights));
      expect(plain.privacy).toBeUndefined();
      expect(clippedNoNoise.privacy?.epsilonUtterance).toBe(Infinity);
      expect(clippedNoNoise.privacy?.notCovered).toEqual(['standardiser']);
    });

    it('fits the standardiser privately by default, inside the guarantee: its releases are in ε', async () => {
      // arrange
      const set = makeSet();
      const options = { ...PRIVATE, dpClipNorm: 1, dpNoiseMultiplier: 1.2 };

      // act
      const exact = await distill(set, { ...options, dpStandardiserNoiseMultiplier: 0 }, { privateSeed: 5 });
      const covered = await distill(set, options, { privateSeed: 5 });
      const again = await distill(set, options, { privateSeed: 5 });

      // assert
      expect(Array.from(exact.standardiser.mean)).toEqual(Array.from(fitStandardiser(set.features, 6).mean));
      expect(Array.from(covered.standardiser.mean)).not.toEqual(Array.from(exact.standardiser.mean));
      expect(Array.from(again.standardiser.std)).toEqual(Array.from(covered.standardiser.std));
      expect(covered.standardiser.std.every((std) => std > 0 && Number.isFinite(std))).toBe(true);
      expect(exact.privacy!.notCovered).toEqual(['standardiser']);
      expect(covered.privacy).toMatchObject({ notCovered: [], standardiserNoiseMultiplier: 7 });
      expect(covered.privacy!.epsilonUtterance).toBeGreaterThan(exact.privacy!.epsilonUtterance);
    });

    it('clipping and noise change the training, seeded, and the accountant reports ε per utterance and per speaker', async () => {
      // arrange
      const set = makeSet();
      const options = { ...PRIVATE, dpClipNorm: 1, dpNoiseMultiplier: 1.2 };

      // act
      const plain = await distill(set, PRIVATE);
      const clipped = await distill(set, { ...PRIVATE, dpClipNorm: 0.01 }, { privateSeed: TINY.seed });
      const first = await distill(set, options, { privateSeed: 5 });
      const again = await distill(set, options, { privateSeed: 5 });
      const secret = await distill(set, options);

      // assert
      expect(bitsOf(clipped.generatorWeights)).not.toEqual(bitsOf(plain.generatorWeights));
      expect(bitsOf(first.generatorWeights)).not.toEqual(bitsOf(clipped.generatorWeights));
      expect(bitsOf(again.generatorWeights)).toEqual(bitsOf(first.generatorWeights));
      // Without a given seed the batches and noise come from a secret one: config.seed does not replay them.
      expect(bitsOf(secret.generatorWeights)).not.toEqual(bitsOf(first.generatorWeights));
      const privacy = first.privacy!;
      expect(privacy).toMatchObject({ samplingRate: 8 / 40, noiseMultiplier: 1.2, clipNorm: 1, privateSteps: 4 * 2 });
      expect(privacy.epsilonUtterance).toBeGreaterThan(0);
      expect(privacy.epsilonUtterance).toBeLessThan(Infinity);
      // 4 speakers with 10 utterances each: group privacy over 10 records.
      expect(privacy.epsilonSpeaker).toBeCloseTo(10 * privacy.epsilonUtterance, 9);
    });

    it('resumes a private run with the secret seed its checkpoint keeps, to the weights of an uninterrupted run', async () => {
      // arrange
      const set = makeSet();
      const options = { ...PRIVATE, dpClipNorm: 1, dpNoiseMultiplier: 1.2 };
      const pathA = join(temp.path, 'private-a.safetensors');
      const pathB = join(temp.path, 'private-b.safetensors');
      const uninterrupted = await distill(set, options, {
        privateSeed: 11,
        checkpoint: { path: pathA, everySteps: 2 },
      });
      await distill(set, { ...options, steps: 2 }, { privateSeed: 11, checkpoint: { path: pathB, everySteps: 2 } });

      // act: the resumed run is given another seed; the checkpoint's wins
      const resumed = await distill(set, options, { privateSeed: 99, checkpoint: { path: pathB, everySteps: 2 } });

      // assert
      expect(bitsOf(resumed.generatorWeights)).toEqual(bitsOf(uninterrupted.generatorWeights));
    });

    it('L_FM inside the boundary: private class means train the generator and count one more private step per generator step', async () => {
      // arrange
      const set = makeSet();
      const options = { ...PRIVATE, dpClipNorm: 1, dpNoiseMultiplier: 1.2 };

      // act
      const withoutFm = await distill(set, options, { privateSeed: 5 });
      const withFm = await distill(
        set,
        { ...options, featureMatchingWeight: 1, dpFeatureClipNorm: 2 },
        { privateSeed: 5, progressEverySteps: 1 },
      );

      // assert
      expect(bitsOf(withFm.generatorWeights)).not.toEqual(bitsOf(withoutFm.generatorWeights));
      expect(withFm.privacy).toMatchObject({ privateSteps: 4 * 3 });
      expect(withFm.privacy!.epsilonUtterance).toBeGreaterThan(withoutFm.privacy!.epsilonUtterance);
      expect(() => resolveDistillConfig({ featureMatchingWeight: 1, dpFeatureClipNorm: 2 })).toThrow(
        /dpFeatureClipNorm: private feature matching needs DP-SGD/,
      );
    });

    it('refuses DP with terms that read real rows outside the critic, or without Poisson batches, naming each', () => {
      expect(() => resolveDistillConfig({ dpClipNorm: 1, batchSampling: 'poisson' })).toThrow(
        /featureMatchingWeight \(0\.01\) must be off, softmaxMatchingWeight \(1\) must be off/,
      );
      expect(() => resolveDistillConfig({ ...PRIVATE, batchSampling: 'balanced', dpClipNorm: 1 })).toThrow(
        /batchSampling must be "poisson"/,
      );
    });
  });

  it('reports progress every progressEverySteps steps and after the last, with finite losses', async () => {
    // arrange
    const reports: DistillProgress[] = [];

    // act
    await distill(
      makeSet(),
      { ...TINY, steps: 5, poolMatchingWeight: 0.5, speakerInvarianceWeight: 0.5 },
      { progressEverySteps: 2, onProgress: (p) => reports.push(p) },
    );

    // assert
    expect(reports.map((r) => [r.step, r.steps])).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    for (const { losses } of reports) {
      expect(Object.keys(losses).sort()).toEqual([
        'adversarial',
        'critic',
        'diversity',
        'featureMatching',
        'poolMatching',
        'softmaxMatching',
        'speakerInvariance',
        'wasserstein',
      ]);
      for (const value of Object.values(losses)) expect(Number.isFinite(value)).toBe(true);
      expect(losses.featureMatching).toBeGreaterThanOrEqual(0);
      expect(losses.softmaxMatching).toBeGreaterThanOrEqual(0);
      expect(losses.poolMatching).toBeGreaterThan(0);
      expect(losses.speakerInvariance).toBeGreaterThan(0);
      expect(losses.speakerInvariance).toBeLessThanOrEqual(Math.log(4) + 1e-6);
      expect(losses.diversity).toBeGreaterThan(0);
    }
  });

  it('refuses invalid settings before doing any work', async () => {
    // arrange / act / assert
    await expectEmodistillError(
      () => distill(makeSet(), { ...TINY, softmaxMatchingWeight: -1 }),
      ERROR_CODES.invalidOption,
      'softmaxMatchingWeight',
    );
  });
});

describe('createDistillTrainer with a latent offset', () => {
  useWasmBackend();

  it('trains on z + offset: its critic sees what a generator that adds W0ᵀ·offset to its first bias makes from plain z', () => {
    // arrange: G is fixed during the critic updates, so the critics of the two trainers see the same
    // fakes in step 0 and must end it with the same weights; without the offset they would not
    const set = makeSet();
    const config = resolveDistillConfig({ ...TINY, softmaxMatchingWeight: 0, criticLearningRate: 0.01 });
    const offset = Float32Array.from([2, -1, 0.5, 3]);
    const withOffset = createDistillTrainer(set, config, { latentOffset: offset });
    const shifted = createDistillTrainer(set, config);
    const plain = createDistillTrainer(set, config);
    const weights = withOffset.generatorWeights();
    const kernel = weights[0]!.values;
    const hidden = weights[1]!.values.length;
    shifted.loadGeneratorWeights(
      weights.map((t, i) =>
        i === 1
          ? {
              ...t,
              values: t.values.map((b, j) => b + offset.reduce((sum, o, k) => sum + o * kernel[k * hidden + j]!, 0)),
            }
          : t,
      ),
      'test',
    );

    // act
    const critics = [withOffset, shifted, plain].map((trainer) => {
      trainer.step(0, false);
      const values = toSnapshot(trainer.checkpointState.critic).map((t) => Array.from(t.values));
      trainer.dispose();
      return values.flat();
    });

    // assert
    critics[0]!.forEach((value, i) => expect(value).toBeCloseTo(critics[1]![i]!, 4));
    expect(critics[2]!.some((value, i) => Math.abs(value - critics[0]![i]!) > 1e-3)).toBe(true);
  });
});
