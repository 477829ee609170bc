import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { createGeneratorNetwork } from './networks.js';
import { planClassCounts, sampleFeatureSet, type GeneratorForSampling, type SampleOptions } from './sample.js';
import { useWasmBackend } from '../../test/backend.js';

const SPEC = { name: 'synthetic', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] };
const MEAN = Float32Array.from([10, -5, 0.5]);
const STD = Float32Array.from([2, 0.1, 3]);

describe('planClassCounts', () => {
  it('gives every class ipc rows under the balanced prior', () => {
    // arrange / act
    const counts = planClassCounts(3, { ipc: 5, prior: 'balanced', seed: 0 });

    // assert
    expect(counts).toEqual([5, 5, 5]);
  });

  it('splits ipc·C rows by the real distribution, the remainder to the largest fractions, ties to the lower class', () => {
    // arrange: 10 rows split 1:3 → 2.5 / 7.5 → floors 2 + 7, one left for the tie → class 0
    const options: SampleOptions = { ipc: 5, prior: 'real', seed: 0, realClassCounts: [10, 30] };

    // act
    const counts = planClassCounts(2, options);

    // assert
    expect(counts).toEqual([3, 7]);
  });

  it('hands out every remaining row when more than one is left after the floors', () => {
    // arrange: 6 rows split 1:2:4 → 0.857 / 1.714 / 3.429 → floors 0 + 1 + 3 = 4; the two largest fractions (classes 0, 1) get one more
    const options: SampleOptions = { ipc: 2, prior: 'real', seed: 0, realClassCounts: [1, 2, 4] };

    // act
    const counts = planClassCounts(3, options);

    // assert
    expect(counts).toEqual([1, 2, 3]);
  });

  it.each([
    [[7, 0, 13, 2], 3],
    [[1, 1, 1, 1, 1, 1, 1], 1],
    [[100, 1, 1], 4],
    [[3, 5, 7, 11, 13], 9],
  ])('totals ipc·C for real counts %j at ipc %i, and gives an absent class nothing', (realClassCounts, ipc) => {
    // arrange
    const options: SampleOptions = { ipc, prior: 'real', seed: 0, realClassCounts };

    // act
    const counts = planClassCounts(realClassCounts.length, options);

    // assert
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ipc * realClassCounts.length);
    const total = realClassCounts.reduce((a, b) => a + b, 0);
    counts.forEach((count, c) =>
      expect(Math.abs(count - (realClassCounts[c]! / total) * ipc * realClassCounts.length)).toBeLessThan(1),
    );
    realClassCounts.forEach((real, c) => real === 0 && expect(counts[c]).toBe(0));
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses ipc %s with INVALID_OPTION', async (ipc) => {
    // arrange / act / assert
    await expectEmodistillError(
      () => planClassCounts(2, { ipc, prior: 'balanced', seed: 0 }),
      ERROR_CODES.invalidOption,
      '--ipc',
    );
  });

  it('refuses the real prior without one real count per class', async () => {
    // arrange / act / assert
    await expectEmodistillError(
      () => planClassCounts(3, { ipc: 2, prior: 'real', seed: 0 }),
      ERROR_CODES.invalidOption,
      '3 real class counts',
    );
    await expectEmodistillError(
      () => planClassCounts(3, { ipc: 2, prior: 'real', seed: 0, realClassCounts: [1, 2] }),
      ERROR_CODES.invalidOption,
      '3 real class counts',
    );
  });
});

describe('sampleFeatureSet', () => {
  useWasmBackend();

  /** A 3-D, 2-class generator (noise 4, hidden [5]); with `ignoreNoise` its noise weights are zero. */
  function makeGenerator(ignoreNoise: boolean): GeneratorForSampling {
    const network = createGeneratorNetwork(
      { dimension: 3, classCount: 2 },
      { noiseDimension: 4, hiddenUnits: [5], seed: 3 },
    );
    if (ignoreNoise) {
      const snapshot = toSnapshot(network).map((t) => {
        if (t.name !== 'generator/dense0/kernel') return t;
        // Rows 0..3 of the first kernel take the noise; rows 4, 5 the one-hot label. Biases get a value too.
        return { ...t, values: t.values.map((v, i) => (i < 4 * 5 ? 0 : v)) };
      });
      const withBias = snapshot.map((t) =>
        t.name.endsWith('bias')
          ? { ...t, values: t.values.map((_, i) => 0.1 * (i + 1) * (t.name.includes('dense0') ? -1 : 1)) }
          : t,
      );
      applySnapshot(network, withBias, 'test');
    }
    return {
      network,
      noiseDimension: 4,
      classNames: ['angry', 'sad'],
      standardiser: { mean: MEAN, std: STD },
      spec: SPEC,
    };
  }

  /** G(·, y) by hand from the generator's weights when it ignores its noise: leaky(W0[4 + y] + b0)·W1 + b1. */
  function byHand(generator: GeneratorForSampling, label: number): number[] {
    const [w0, b0, w1, b1] = toSnapshot(generator.network).map((t) => t.values);
    const hidden = Array.from({ length: 5 }, (_, j) => {
      const z = w0![(4 + label) * 5 + j]! + b0![j]!;
      return 0.6 * z + 0.4 * Math.abs(z);
    });
    return Array.from({ length: 3 }, (_, d) => hidden.reduce((sum, h, j) => sum + h * w1![j * 3 + d]!, b1![d]!));
  }

  it('returns generator outputs mapped back to the real feature space (standardised·std + mean)', () => {
    // arrange
    const generator = makeGenerator(true);

    const expected = [byHand(generator, 0), byHand(generator, 1)];

    // act
    let set: ReturnType<typeof sampleFeatureSet>;
    try {
      set = sampleFeatureSet(generator, { ipc: 2, prior: 'balanced', seed: 7 }, 'g.safetensors');
    } finally {
      generator.network.dispose();
    }

    // assert
    expect(set.emotions).toEqual(['angry', 'angry', 'sad', 'sad']);
    expect(set.dimension).toBe(3);
    set.emotions.forEach((emotion, row) => {
      const standardised = expected[emotion === 'angry' ? 0 : 1]!;
      standardised.forEach((value, d) => expect(set.features[row * 3 + d]).toBeCloseTo(value * STD[d]! + MEAN[d]!, 4));
    });
    // the two classes do differ, so the label really conditions the output
    expect(set.features[0]).not.toBeCloseTo(set.features[6]!, 3);
  });

  it('labels, names and describes the synthetic rows', () => {
    // arrange
    const generator = makeGenerator(false);

    // act
    let set: ReturnType<typeof sampleFeatureSet>;
    try {
      set = sampleFeatureSet(generator, { ipc: 2, prior: 'real', seed: 1, realClassCounts: [1, 3] }, 'g.safetensors');
    } finally {
      generator.network.dispose();
    }

    // assert: 4 rows split 1:3
    expect(set.emotions).toEqual(['angry', 'sad', 'sad', 'sad']);
    expect(set.ids).toEqual(['synthetic-angry-0', 'synthetic-sad-1', 'synthetic-sad-2', 'synthetic-sad-3']);
    expect(set.speakers).toEqual(['synthetic', 'synthetic', 'synthetic', 'synthetic']);
    expect(set.features).toHaveLength(12);
    expect(set.classNames).toEqual(['angry', 'sad']);
    expect(set.spec).toEqual(SPEC);
    expect(set.corpus).toMatchObject({ source: 'g.safetensors', task: 'ipc2-real' });
  });

  it('is reproducible per seed, differs across seeds and within a class, and leaks no tensors', () => {
    // arrange
    const generator = makeGenerator(false);
    const options = (seed: number): SampleOptions => ({ ipc: 3, prior: 'balanced', seed });

    // act
    let first: Float32Array, again: Float32Array, other: Float32Array;
    const before = tf.memory().numTensors;
    try {
      first = sampleFeatureSet(generator, options(5), 'g').features;
      again = sampleFeatureSet(generator, options(5), 'g').features;
      other = sampleFeatureSet(generator, options(6), 'g').features;
    } finally {
      generator.network.dispose();
    }
    const after = tf.memory().numTensors;

    // assert
    expect(float32Bits(again)).toEqual(float32Bits(first));
    expect(float32Bits(other)).not.toEqual(float32Bits(first));
    expect(first.subarray(0, 3)).not.toEqual(first.subarray(3, 6));
    expect(first.every(Number.isFinite)).toBe(true);
    expect(after).toBe(before - 4); // only the generator's own 4 variables went away
  });

  it("samples a latent prior's regions: one region at o gives what N(0, I) gives through a first layer that adds o itself", () => {
    // arrange: G(z + o) = leaky(W0·(z + o) + b0)… = G'(z) with b0' = b0 + W0[noise rows]ᵀ·o
    const generator = makeGenerator(false);
    const offset = [1.5, -2, 0.5, 3];
    const shifted = makeGenerator(false);
    applySnapshot(
      shifted.network,
      toSnapshot(generator.network).map((t) => {
        if (t.name !== 'generator/dense0/bias') return t;
        const kernel = toSnapshot(generator.network).find((k) => k.name === 'generator/dense0/kernel')!.values;
        return {
          ...t,
          values: t.values.map((b, j) => b + offset.reduce((sum, o, i) => sum + o * kernel[i * 5 + j]!, 0)),
        };
      }),
      'test',
    );
    const withPrior: GeneratorForSampling = {
      ...generator,
      latentPrior: { components: [{ name: 'site-a', weight: 1, offset }] },
    };

    // act
    let fromPrior: Float32Array, fromShifted: Float32Array, plain: Float32Array;
    try {
      fromPrior = sampleFeatureSet(withPrior, { ipc: 4, prior: 'balanced', seed: 3 }, 'g').features;
      fromShifted = sampleFeatureSet(shifted, { ipc: 4, prior: 'balanced', seed: 3 }, 'g').features;
      plain = sampleFeatureSet(generator, { ipc: 4, prior: 'balanced', seed: 3 }, 'g').features;
    } finally {
      generator.network.dispose();
      shifted.network.dispose();
    }

    // assert
    fromPrior.forEach((value, i) => expect(value).toBeCloseTo(fromShifted[i]!, 3));
    expect(float32Bits(plain)).not.toEqual(float32Bits(fromPrior));
  });
});
