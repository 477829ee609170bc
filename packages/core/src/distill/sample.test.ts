import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { createGeneratorNetwork } from './networks.js';
import { disposeGenerator } from './bundle.js';
import {
  applyLabeler,
  labelerOf,
  planClassCounts,
  sampleFeatureSet,
  withLabelerProbabilities,
  type GeneratorForSampling,
  type SampleOptions,
} from './sample.js';
import { useWasmBackend } from '../../test/backend.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { createLabelerNetwork } from './labeler.js';
import { selectByHerding } from './select-samples.js';

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

describe('sampleFeatureSet with a labeler: soft labels and oversample-and-select', () => {
  useWasmBackend();

  /**
   * A 3-D, 2-class generator (noise 4, hidden [5]) with a labeler (hidden [4]) whose weights are
   * its seeded init plus non-zero biases. `identity`: standardiser mean 0, std 1, so the sampled
   * features are the standardised rows themselves, bit for bit.
   */
  function makeGenerator(options: { identity?: boolean; labeler?: boolean } = {}): GeneratorForSampling {
    const { identity = false, labeler = true } = options;
    const network = createGeneratorNetwork(
      { dimension: 3, classCount: 2 },
      { noiseDimension: 4, hiddenUnits: [5], seed: 3 },
    );
    const labelerNetwork = labeler ? createLabelerNetwork(3, 2, [4]) : undefined;
    if (labelerNetwork)
      applySnapshot(
        labelerNetwork,
        toSnapshot(labelerNetwork).map((t) =>
          t.name.endsWith('bias') ? { ...t, values: t.values.map((_, i) => 0.2 * i - 0.1) } : t,
        ),
        'test',
      );
    return {
      network,
      noiseDimension: 4,
      classNames: ['angry', 'sad'],
      standardiser: identity
        ? { mean: new Float32Array(3), std: new Float32Array(3).fill(1) }
        : { mean: MEAN, std: STD },
      spec: SPEC,
      ...(labelerNetwork && { labeler: labelerNetwork }),
    };
  }

  function dispose(generator: GeneratorForSampling): void {
    generator.network.dispose();
    generator.labeler?.dispose();
  }

  /** Rows of a row-major [N, 3] array, as arrays (for membership checks). */
  function rowsOf(values: Float32Array): number[][] {
    return Array.from({ length: values.length / 3 }, (_, row) => Array.from(values.subarray(row * 3, row * 3 + 3)));
  }

  it("gives soft labels: probability rows that sum to 1 and are the labeler's softmax on the standardised rows", () => {
    // arrange
    const generator = makeGenerator();
    const identity = makeGenerator({ identity: true });

    // act
    let soft: FeatureSet, identitySoft: FeatureSet;
    let expected: Float32Array, expectedIdentity: Float32Array;
    try {
      soft = sampleFeatureSet(generator, { ipc: 4, prior: 'balanced', seed: 5, labels: 'soft' }, 'g');
      identitySoft = sampleFeatureSet(identity, { ipc: 4, prior: 'balanced', seed: 5, labels: 'soft' }, 'g');
      const standardised = soft.features.map((value, i) => (value - MEAN[i % 3]!) / STD[i % 3]!);
      expected = applyLabeler(generator.labeler!, standardised, 3).probabilities;
      expectedIdentity = applyLabeler(identity.labeler!, identitySoft.features, 3).probabilities;
    } finally {
      dispose(generator);
      dispose(identity);
    }

    // assert
    expect(soft.emotions).toEqual(['angry', 'angry', 'angry', 'angry', 'sad', 'sad', 'sad', 'sad']);
    expect(soft.probabilities).toHaveLength(8 * 2);
    for (let row = 0; row < 8; row++) {
      expect(soft.probabilities![row * 2]! + soft.probabilities![row * 2 + 1]!).toBeCloseTo(1, 6);
      expect(soft.probabilities![row * 2]!).toBeGreaterThan(0);
    }
    soft.probabilities!.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 4));
    expect(float32Bits(identitySoft.probabilities!)).toEqual(float32Bits(expectedIdentity));
    // the labeler's probabilities are not one-hot, nor the same for every row
    expect(new Set(Array.from(soft.probabilities!)).size).toBeGreaterThan(2);
  });

  it('keeps exactly ipc per class with oversample 5, each a candidate of its class, the ones herding picks', () => {
    // arrange: oversample 5 at ipc 3 draws the 15 per class that ipc 15 draws (same seed, same labels)
    const generator = makeGenerator({ identity: true });

    // act
    let kept: FeatureSet, candidates: FeatureSet;
    let expectedRows: Int32Array;
    try {
      kept = sampleFeatureSet(generator, { ipc: 3, prior: 'balanced', seed: 8, oversample: 5 }, 'g');
      candidates = sampleFeatureSet(generator, { ipc: 15, prior: 'balanced', seed: 8 }, 'g');
      const view = applyLabeler(generator.labeler!, candidates.features, 3);
      const labels = Int32Array.from(candidates.emotions, (e) => (e === 'angry' ? 0 : 1));
      expectedRows = selectByHerding(view.embedding, view.width, labels, [3, 3]);
    } finally {
      dispose(generator);
    }

    // assert
    expect(kept.emotions).toEqual(['angry', 'angry', 'angry', 'sad', 'sad', 'sad']);
    expect(kept.ids).toEqual([0, 1, 2, 3, 4, 5].map((i) => `synthetic-${kept.emotions[i]}-${i}`));
    expect('probabilities' in kept).toBe(false);
    const candidateRows = rowsOf(candidates.features);
    rowsOf(kept.features).forEach((row, i) => {
      const match = candidateRows.findIndex((candidate) => candidate.every((v, d) => Object.is(v, row[d])));
      expect(match, `kept row ${i}`).toBeGreaterThanOrEqual(0);
      expect(candidates.emotions[match]).toBe(kept.emotions[i]);
    });
    expect(rowsOf(kept.features)).toEqual(Array.from(expectedRows, (row) => candidateRows[row]));
    // selection, not the first draws of each class
    expect(rowsOf(kept.features)).not.toEqual([0, 1, 2, 15, 16, 17].map((row) => candidateRows[row]));
  });

  it('is deterministic for a seed with oversampling and soft labels, and differs for another seed', () => {
    // arrange
    const generator = makeGenerator();
    const options = (seed: number): SampleOptions => ({
      ipc: 2,
      prior: 'balanced',
      seed,
      labels: 'soft',
      oversample: 4,
    });
    const before = tf.memory().numTensors;

    // act
    let first: FeatureSet, again: FeatureSet, other: FeatureSet;
    try {
      first = sampleFeatureSet(generator, options(1), 'g');
      again = sampleFeatureSet(generator, options(1), 'g');
      other = sampleFeatureSet(generator, options(2), 'g');
    } finally {
      dispose(generator);
    }
    const after = tf.memory().numTensors;

    // assert
    expect(float32Bits(again.features)).toEqual(float32Bits(first.features));
    expect(float32Bits(again.probabilities!)).toEqual(float32Bits(first.probabilities!));
    expect(float32Bits(other.features)).not.toEqual(float32Bits(first.features));
    expect(first.probabilities).toHaveLength(4 * 2);
    expect(after).toBe(before - 8); // only the generator's and the labeler's 4 variables each went away
  });

  it('soft-labels the kept candidates with their own probabilities when selecting', () => {
    // arrange
    const generator = makeGenerator({ identity: true });

    // act
    let kept: FeatureSet;
    let expected: Float32Array;
    try {
      kept = sampleFeatureSet(generator, { ipc: 2, prior: 'balanced', seed: 4, oversample: 3, labels: 'soft' }, 'g');
      expected = applyLabeler(generator.labeler!, kept.features, 3).probabilities;
    } finally {
      dispose(generator);
    }

    // assert
    expect(kept.emotions).toEqual(['angry', 'angry', 'sad', 'sad']);
    expect(float32Bits(kept.probabilities!)).toEqual(float32Bits(expected));
  });

  it('with hard labels and oversample 1 gives what a generator without a labeler gives, with no probabilities', () => {
    // arrange
    const withLabeler = makeGenerator();
    const without = makeGenerator({ labeler: false });
    const options: SampleOptions = { ipc: 3, prior: 'real', seed: 6, realClassCounts: [1, 2] };

    // act
    let explicit: FeatureSet, implicit: FeatureSet, plain: FeatureSet;
    try {
      explicit = sampleFeatureSet(withLabeler, { ...options, labels: 'hard', oversample: 1 }, 'g');
      implicit = sampleFeatureSet(withLabeler, options, 'g');
      plain = sampleFeatureSet(without, options, 'g');
    } finally {
      dispose(withLabeler);
      dispose(without);
    }

    // assert
    for (const set of [explicit, implicit]) {
      expect(float32Bits(set.features)).toEqual(float32Bits(plain.features));
      expect(set.emotions).toEqual(plain.emotions);
      expect('probabilities' in set).toBe(false);
    }
    expect('probabilities' in plain).toBe(false);
  });

  it("uses the generator's sampling defaults when the options omit labels and oversample, and lets options override them", () => {
    // arrange
    const base = makeGenerator();
    const generator: GeneratorForSampling = { ...base, sampling: { labels: 'soft', oversample: 3 } };
    const options: SampleOptions = { ipc: 2, prior: 'balanced', seed: 9 };

    // act
    let byDefault: FeatureSet, explicit: FeatureSet, overridden: FeatureSet, plain: FeatureSet;
    try {
      byDefault = sampleFeatureSet(generator, options, 'g');
      explicit = sampleFeatureSet(base, { ...options, labels: 'soft', oversample: 3 }, 'g');
      overridden = sampleFeatureSet(generator, { ...options, labels: 'hard', oversample: 1 }, 'g');
      plain = sampleFeatureSet(base, options, 'g');
    } finally {
      dispose(base);
    }

    // assert
    expect(float32Bits(byDefault.features)).toEqual(float32Bits(explicit.features));
    expect(float32Bits(byDefault.probabilities!)).toEqual(float32Bits(explicit.probabilities!));
    expect(float32Bits(byDefault.features)).not.toEqual(float32Bits(plain.features));
    expect(float32Bits(overridden.features)).toEqual(float32Bits(plain.features));
    expect('probabilities' in overridden).toBe(false);
  });

  it.each([
    ['soft labels', { labels: 'soft' }],
    ['--oversample above 1', { oversample: 2 }],
  ] as const)(
    'derives a labeler from a generator that has none for %s: seeded, trained once, freed by disposeGenerator',
    (_what, extra) => {
      // arrange
      const before = tf.memory().numTensors;
      const generator = makeGenerator({ labeler: false });
      const options = { ipc: 2, prior: 'balanced', seed: 0, ...extra } as const;

      // act
      const first = sampleFeatureSet(generator, options, 'g');
      const withDerived = tf.memory().numTensors;
      const again = sampleFeatureSet(generator, options, 'g');
      const derived = labelerOf(generator);

      // assert
      expect(float32Bits(again.features)).toEqual(float32Bits(first.features));
      expect(tf.memory().numTensors).toBe(withDerived);
      expect(derived.variableNames[0]).toBe('labeler/dense0/kernel');
      // Another load of the same weights derives the same labeler, bit for bit.
      const twin = makeGenerator({ labeler: false });
      expect(float32Bits(sampleFeatureSet(twin, options, 'g').features)).toEqual(float32Bits(first.features));
      disposeGenerator(twin);
      disposeGenerator(generator);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.each([0, -1, 2.5, Number.NaN])('refuses oversample %s with INVALID_OPTION', async (oversample) => {
    // arrange
    const generator = makeGenerator();

    // act / assert
    try {
      await expectEmodistillError(
        () => sampleFeatureSet(generator, { ipc: 2, prior: 'balanced', seed: 0, oversample }, 'g'),
        ERROR_CODES.invalidOption,
        '--oversample',
      );
    } finally {
      dispose(generator);
    }
  });
});

describe('withLabelerProbabilities', () => {
  useWasmBackend();

  /** Two rows per class in the real feature space (mean 10, −5, 0.5 ± a few std). */
  function realSet(): FeatureSet {
    return {
      ids: ['r0', 'r1', 'r2', 'r3'],
      speakers: ['s1', 's1', 's2', 's2'],
      emotions: ['angry', 'sad', 'angry', 'sad'],
      sessions: ['', '', '', ''],
      features: Float32Array.from([12, -5.1, 3, 8, -4.8, -1, 10.5, -5, 0.5, 6, -5.3, 6]),
      dimension: 3,
      classNames: ['angry', 'sad'],
      spec: SPEC,
      corpus: { source: 'real', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
    };
  }

  function generatorWith(labeler: boolean): GeneratorForSampling {
    const network = createGeneratorNetwork(
      { dimension: 3, classCount: 2 },
      { noiseDimension: 4, hiddenUnits: [5], seed: 3 },
    );
    return {
      network,
      noiseDimension: 4,
      classNames: ['angry', 'sad'],
      standardiser: { mean: MEAN, std: STD },
      spec: SPEC,
      ...(labeler && { labeler: createLabelerNetwork(3, 2, [6]) }),
    };
  }

  it("adds the labeler's probabilities on the standardised rows and keeps every row as it was", () => {
    // arrange
    const set = realSet();
    const generator = generatorWith(true);
    const standardised = Float32Array.from(set.features, (value, i) => (value - MEAN[i % 3]!) / STD[i % 3]!);

    // act
    let labelled: FeatureSet;
    let expected: Float32Array;
    try {
      labelled = withLabelerProbabilities(set, generator);
      expected = applyLabeler(generator.labeler!, standardised, 3).probabilities;
    } finally {
      generator.network.dispose();
      generator.labeler!.dispose();
    }

    // assert
    expect(labelled.probabilities).toHaveLength(4 * 2);
    labelled.probabilities!.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
    for (let row = 0; row < 4; row++)
      expect(labelled.probabilities![2 * row]! + labelled.probabilities![2 * row + 1]!).toBeCloseTo(1, 6);
    const { probabilities: _added, ...rest } = labelled;
    expect(rest).toEqual(set);
    expect('probabilities' in set).toBe(false);
  });

  it('labels with a labeler derived from the generator when the generator has none', () => {
    // arrange
    const generator = generatorWith(false);

    try {
      // act
      const labelled = withLabelerProbabilities(realSet(), generator);

      // assert
      for (let row = 0; row < 4; row++)
        expect(labelled.probabilities![2 * row]! + labelled.probabilities![2 * row + 1]!).toBeCloseTo(1, 6);
    } finally {
      disposeGenerator(generator);
    }
  });
});

describe('applyLabeler', () => {
  useWasmBackend();

  it('divides the logits by the temperature before the softmax', () => {
    // arrange
    const labeler = createLabelerNetwork(3, 2, [4]);
    const rows = Float32Array.from([0.5, -1, 2, 1, 1, -3]);

    try {
      // act
      const plain = applyLabeler(labeler, rows, 3).probabilities;
      const softer = applyLabeler(labeler, rows, 3, 2).probabilities;

      // assert: p ∝ exp(l), so at T = 2 the ratio of a row's probabilities is the square root of T = 1's
      for (let row = 0; row < 2; row++) {
        const ratio = plain[row * 2]! / plain[row * 2 + 1]!;
        expect(softer[row * 2]! / softer[row * 2 + 1]!).toBeCloseTo(Math.sqrt(ratio), 5);
        expect(softer[row * 2]! + softer[row * 2 + 1]!).toBeCloseTo(1, 6);
      }
    } finally {
      labeler.dispose();
    }
  });
});
