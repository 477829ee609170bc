import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { toSnapshot } from '../models/weight-snapshot.js';
import { float32Bits } from '../../test/fixtures.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { createDistillNetworks, createGeneratorNetwork } from './networks.js';
import { useWasmBackend } from '../../test/backend.js';

const SHAPE = { dimension: 6, classCount: 3 };
const CONFIG = { noiseDimension: 4, hiddenUnits: [16, 8], seed: 2 };

describe('createDistillNetworks', () => {
  useWasmBackend();

  it('generates [n, d] rows and scores them [n, 1] with penultimate features [n, last hidden width]', () => {
    // arrange
    const networks = createDistillNetworks(SHAPE, CONFIG);
    let shapes: number[][] = [];

    // act
    try {
      expectNoTensorLeak(() => {
        shapes = tf.tidy(() => {
          const oneHot = tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0], 'int32'), 3).toFloat() as tf.Tensor2D;
          const fake = networks.generate(tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D, oneHot);
          const { score, features } = networks.criticize(fake, oneHot);
          return [fake.shape, score.shape, features.shape];
        });
      });
    } finally {
      networks.dispose();
    }

    // assert
    expect(shapes).toEqual([
      [5, 6],
      [5, 1],
      [5, 8],
    ]);
  });

  it('initialises from the seed: the same seed gives the same generator (also built alone), another seed another', () => {
    // arrange / act
    const a = createDistillNetworks(SHAPE, CONFIG);
    const alone = createGeneratorNetwork(SHAPE, CONFIG);
    const other = createDistillNetworks(SHAPE, { ...CONFIG, seed: 3 });
    const bits = (weights: ReturnType<typeof toSnapshot>): Uint32Array[] => weights.map((t) => float32Bits(t.values));
    const [aGenerator, aloneGenerator, otherGenerator, aCritic] = [
      toSnapshot(a.generator),
      toSnapshot(alone),
      toSnapshot(other.generator),
      toSnapshot(a.critic),
    ];
    a.dispose();
    alone.dispose();
    other.dispose();

    // assert
    expect(bits(aloneGenerator)).toEqual(bits(aGenerator));
    expect(bits(otherGenerator)).not.toEqual(bits(aGenerator));
    expect(aCritic.map((t) => t.name)).toEqual([
      'critic/dense0/kernel',
      'critic/dense0/bias',
      'critic/dense1/kernel',
      'critic/dense1/bias',
      'critic/dense2/kernel',
      'critic/dense2/bias',
    ]);
    expect(aCritic[0]!.shape).toEqual([6 + 3, 16]);
  });

  it('lets the critic be differentiated twice (the gradient penalty path) with finite weight gradients', () => {
    // arrange
    const networks = createDistillNetworks(SHAPE, CONFIG);
    let finite = false;

    // act
    try {
      expectNoTensorLeak(() => {
        finite = tf.tidy(() => {
          const x = tf.randomNormal([4, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
          const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3).toFloat() as tf.Tensor2D;
          const { value, grads } = tf.variableGrads(() => {
            const gradient = tf.grad((input: tf.Tensor) =>
              tf.sum(networks.criticize(input as tf.Tensor2D, oneHot).score),
            )(x);
            return tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(gradient), 1)), 1))) as tf.Scalar;
          }, networks.critic.variables as tf.Variable[]);
          value.dispose();
          const kernel = grads[networks.critic.variables[0]!.name]!.dataSync();
          return kernel.every(Number.isFinite) && kernel.some((g) => g !== 0);
        });
      });
    } finally {
      networks.dispose();
    }

    // assert
    expect(finite).toBe(true);
  });
});
