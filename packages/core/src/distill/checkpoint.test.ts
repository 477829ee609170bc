import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { Mlp } from '../models/mlp.js';
import { createFusedAdam, type FusedAdam } from '../optim/fused-adam.js';
import { toSnapshot } from '../models/weight-snapshot.js';
import { expectEmodistillError, float32Bits, useTempDir } from '../../test/fixtures.js';
import { loadCheckpoint, saveCheckpoint, trainingFingerprint, type CheckpointState } from './checkpoint.js';
import { resolveDistillConfig } from '../generator/distill-config.js';
import { createDistillNetworks, type DistillNetworks } from './networks.js';
import { useWasmBackend } from '../../test/backend.js';

const SHAPE = { dimension: 3, classCount: 2 };
const NETWORK_CONFIG = { noiseDimension: 2, hiddenUnits: [4], seed: 5 };

function makeSet(overrides: Partial<FeatureSet> = {}): FeatureSet {
  return {
    ids: ['u0', 'u1', 'u2', 'u3'],
    speakers: ['s0', 's0', 's1', 's1'],
    emotions: ['angry', 'sad', 'angry', 'sad'],
    sessions: ['', '', '', ''],
    features: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    dimension: 3,
    classNames: ['angry', 'sad'],
    spec: { name: 't', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] },
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
    ...overrides,
  };
}

interface Trainee {
  readonly networks: DistillNetworks;
  readonly state: CheckpointState;
  dispose(): void;
}

function makeTrainee(): Trainee {
  const networks = createDistillNetworks(SHAPE, NETWORK_CONFIG);
  const state = {
    generator: networks.generator,
    critic: networks.critic,
    generatorOptimizer: createFusedAdam(networks.generator.variables, { learningRate: 0.01, beta1: 0.5, beta2: 0.9 }),
    criticOptimizer: createFusedAdam(networks.critic.variables, { learningRate: 0.02, beta1: 0.5, beta2: 0.9 }),
    randomness: { privateSeed: undefined },
  };
  return {
    networks,
    state,
    dispose() {
      networks.dispose();
      state.generatorOptimizer.dispose();
      state.criticOptimizer.dispose();
    },
  };
}

/** `count` Adam updates of both networks on fixed inputs (step-dependent, so the moments vary). */
function train(trainee: Trainee, from: number, count: number): void {
  for (let step = from; step < from + count; step++) {
    tf.tidy(() => {
      const scale = 1 + step / 10;
      const g = trainee.networks.generator;
      const c = trainee.networks.critic;
      const update = (network: Mlp, width: number, optimizer: FusedAdam): void => {
        const variables = network.variables as tf.Variable[];
        const { grads } = tf.variableGrads(
          () =>
            tf.mean(
              tf.square(tf.sub(network.apply(tf.fill([2, width], scale) as tf.Tensor2D).output, step % 3)),
            ) as tf.Scalar,
          variables,
        );
        optimizer.apply(variables.map((variable) => grads[variable.name]!));
      };
      update(g, 4, trainee.state.generatorOptimizer);
      update(c, 5, trainee.state.criticOptimizer);
    });
  }
}

const weightsOf = (trainee: Trainee): Uint32Array[] =>
  [...toSnapshot(trainee.networks.generator), ...toSnapshot(trainee.networks.critic)].map((t) => float32Bits(t.values));

describe('saveCheckpoint / loadCheckpoint', () => {
  const temp = useTempDir();
  useWasmBackend();

  it('restores networks and Adam state so that further training is bit-identical (also within Adam\u2019s bias-correction warm-up)', async () => {
    // arrange: 11 updates, then a checkpoint (at 11 iterations, β₂^t recomputed with pow differs from the running product)
    const path = join(temp.path, 'state.safetensors');
    const original = makeTrainee();
    const restored = makeTrainee();
    try {
      train(original, 0, 11);
      await saveCheckpoint(path, original.state, { step: 11, fingerprint: 'f' });
      const saved = weightsOf(original);
      const fresh = weightsOf(restored);

      // act
      const step = await loadCheckpoint(path, restored.state, 'f');
      const atLoad = weightsOf(restored);
      train(original, 11, 20);
      train(restored, 11, 20);

      // assert
      expect(step).toBe(11);
      expect(atLoad).not.toEqual(fresh);
      expect(atLoad).toEqual(saved);
      expect(weightsOf(restored)).toEqual(weightsOf(original));
    } finally {
      original.dispose();
      restored.dispose();
    }
  });

  it('leaves no tensors behind after save, load and dispose', async () => {
    // arrange
    const path = join(temp.path, 'leak.safetensors');
    const cycle = async (): Promise<void> => {
      const a = makeTrainee();
      const b = makeTrainee();
      try {
        train(a, 0, 2);
        await saveCheckpoint(path, a.state, { step: 2, fingerprint: 'f' });
        await loadCheckpoint(path, b.state, 'f');
        train(b, 2, 1);
      } finally {
        a.dispose();
        b.dispose();
      }
    };
    await cycle();
    const before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() };

    // act
    await cycle();

    // assert
    expect({ tensors: tf.memory().numTensors, data: tf.backend().numDataIds() }).toEqual(before);
  });

  it('starts from step 0 when there is no checkpoint yet', async () => {
    // arrange
    const trainee = makeTrainee();
    const initial = weightsOf(trainee);

    // act
    let step = -1;
    try {
      step = await loadCheckpoint(join(temp.path, 'absent.safetensors'), trainee.state, 'f');
    } finally {
      trainee.dispose();
    }

    // assert
    expect(step).toBe(0);
    expect(initial.length).toBe(8);
  });

  it('refuses a checkpoint of another fingerprint, naming the file', async () => {
    // arrange
    const path = join(temp.path, 'other.safetensors');
    const a = makeTrainee();
    const b = makeTrainee();

    // act / assert
    try {
      train(a, 0, 1);
      await saveCheckpoint(path, a.state, { step: 1, fingerprint: 'data-A' });
      await expectEmodistillError(
        () => loadCheckpoint(path, b.state, 'data-B'),
        ERROR_CODES.bundleMismatch,
        path,
        'another training set',
      );
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('trainingFingerprint', () => {
  it('ignores the step count (a run may be extended) but no other setting', () => {
    // arrange
    const set = makeSet();

    // act
    const base = trainingFingerprint(set, resolveDistillConfig({ steps: 10 }));
    const longer = trainingFingerprint(set, resolveDistillConfig({ steps: 20 }));
    const otherBatch = trainingFingerprint(set, resolveDistillConfig({ steps: 10, batchSize: 32 }));
    const otherSeed = trainingFingerprint(set, resolveDistillConfig({ steps: 10, seed: 1 }));

    // assert
    expect(longer).toBe(base);
    expect(otherBatch).not.toBe(base);
    expect(otherSeed).not.toBe(base);
  });

  it('changes with any feature value, label or class list', () => {
    // arrange
    const config = resolveDistillConfig();
    const features = Float32Array.from(makeSet().features);
    features[7] = 8.5;

    // act
    const base = trainingFingerprint(makeSet(), config);
    const fingerprints = [
      trainingFingerprint(makeSet({ features }), config),
      trainingFingerprint(makeSet({ emotions: ['sad', 'sad', 'angry', 'sad'] }), config),
      trainingFingerprint(makeSet({ classNames: ['sad', 'angry'] }), config),
    ];

    // assert
    for (const fingerprint of fingerprints) expect(fingerprint).not.toBe(base);
    expect(trainingFingerprint(makeSet(), config)).toBe(base);
  });

  it('hashes only the set\u2019s own rows when its features are a view into a larger buffer', () => {
    // arrange
    const config = resolveDistillConfig();
    const buffer = new Float32Array(20).fill(99);
    buffer.set(makeSet().features, 4);

    // act
    const fromView = trainingFingerprint(makeSet({ features: buffer.subarray(4, 16) }), config);

    // assert
    expect(fromView).toBe(trainingFingerprint(makeSet(), config));
  });
});
