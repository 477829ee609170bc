import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMlp, LEAKY_SLOPE } from '../../models/mlp.js';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { useWasmBackend } from '../../../test/backend.js';
import { relativeError } from '../../../test/fixtures.js';
import { criticLoss } from '../../../test/critic-loss-reference.js';
import { criticLossAndGradients } from './wgan-gp-gradients.js';

const FEATURES = 5;
const CLASSES = 2;
const BATCH = 4;

const values = (length: number, seed: number): number[] =>
  Array.from({ length }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 1.5);

describe('criticLossAndGradients (WGAN-GP critic loss, gradients by hand)', () => {
  useWasmBackend();

  it.each([
    { hiddenUnits: [8, 6], label: 'two hidden layers' },
    { hiddenUnits: [7], label: 'one hidden layer' },
    { hiddenUnits: [6, 5, 4], label: 'three hidden layers' },
  ])('equals tfjs autodiff (double backprop) of criticLoss on plain ops within 1e-5: $label', ({ hiddenUnits }) => {
    // arrange: the reference runs the same weights through stock ops (matMul, add, 0.6·z + 0.4·|z|)
    // and differentiates criticLoss, whose penalty takes tf.grad of the critic, with tf.variableGrads.
    const critic = createMlp({
      inputDimension: FEATURES + CLASSES,
      hiddenUnits,
      outputDimension: 1,
      activation: 'leakyRelu',
      seed: 11,
      name: 'gp-gradients-test-critic',
    });
    const variables = critic.variables as tf.Variable[];
    const real = tf.tensor2d(values(BATCH * FEATURES, 1), [BATCH, FEATURES]);
    const fake = tf.tensor2d(values(BATCH * FEATURES, 2), [BATCH, FEATURES]);
    const epsilon = tf.tensor2d([0.15, 0.5, 0.7, 0.95], [BATCH, 1]);
    const oneHot = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [BATCH, CLASSES]);
    const plainCritic = (x: tf.Tensor2D): tf.Tensor2D => {
      let h = tf.concat(
        [
          x,
          tf.concat(
            Array.from({ length: x.shape[0] / BATCH }, () => oneHot),
            0,
          ),
        ],
        1,
      ) as tf.Tensor2D;
      for (let i = 0; i < variables.length; i += 2) {
        const z = tf.add(tf.matMul(h, variables[i] as tf.Tensor2D), variables[i + 1]!) as tf.Tensor2D;
        h =
          i + 2 === variables.length
            ? z
            : (tf.add(tf.mul(z, (1 + LEAKY_SLOPE) / 2), tf.mul(tf.abs(z), (1 - LEAKY_SLOPE) / 2)) as tf.Tensor2D);
      }
      return h;
    };
    const reference = (): Float32Array[] =>
      tf.tidy(() => {
        let wasserstein = 0;
        const { value, grads } = tf.variableGrads(() => {
          const result = criticLoss(plainCritic, plainCritic, { real, fake, epsilon }, 10);
          wasserstein = result.wasserstein.dataSync()[0]!;
          return result.loss;
        }, variables);
        return [
          value.dataSync() as Float32Array,
          Float32Array.of(wasserstein),
          ...variables.map((v) => grads[v.name]!.dataSync() as Float32Array),
        ];
      });
    const byHand = (): Float32Array[] =>
      tf.tidy(() => {
        const interpolated = tf.add(fake, tf.mul(epsilon, tf.sub(real, fake)));
        const stacked = tf.concat(
          [tf.concat([real, fake, interpolated], 0), tf.concat([oneHot, oneHot, oneHot], 0)],
          1,
        ) as tf.Tensor2D;
        const kernels = variables.filter((_, i) => i % 2 === 0) as tf.Tensor[] as tf.Tensor2D[];
        const biases = variables.filter((_, i) => i % 2 === 1) as tf.Tensor[] as tf.Tensor1D[];
        const result = criticLossAndGradients(
          { kernels, biases, negativeSlope: LEAKY_SLOPE },
          stacked,
          BATCH,
          FEATURES,
          10,
        );
        return [
          result.loss,
          result.wasserstein,
          ...result.kernelGradients.flatMap((k, i) => [k, result.biasGradients[i]!]),
        ].map((t) => t.dataSync() as Float32Array);
      });
    let expected: Float32Array[] = [];
    let actual: Float32Array[] = [];

    // act
    try {
      expected = reference();
      expectNoTensorLeak(() => {
        actual = byHand();
      });
    } finally {
      critic.dispose();
      tf.dispose([real, fake, epsilon, oneHot]);
    }

    // assert: loss, Wasserstein estimate, then kernel and bias per layer; the output bias cancels out of L_D
    expect(actual).toHaveLength(2 + variables.length);
    expect(actual.map((a) => a.length)).toEqual(expected.map((e) => e.length));
    for (const [i, want] of expected.slice(0, -1).entries()) {
      expect(want.some((g) => g !== 0)).toBe(true);
      expect(relativeError(actual[i]!, want)).toBeLessThan(1e-5);
    }
    expect(Math.abs(actual.at(-1)![0]!)).toBeLessThan(1e-6);
  });

  it('refuses a stacked batch that is not 3 × batch rows', () => {
    // arrange
    const kernels = [tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2, 1]) as tf.Tensor2D];
    const biases = [tf.zeros([2]) as tf.Tensor1D, tf.zeros([1]) as tf.Tensor1D];
    const stacked = tf.zeros([5, 3]) as tf.Tensor2D;

    // act / assert
    try {
      expect(() => criticLossAndGradients({ kernels, biases, negativeSlope: 0.2 }, stacked, 2, 3, 10)).toThrow(
        /5 rows, expected 3 × 2/,
      );
    } finally {
      tf.dispose([...kernels, ...biases, stacked]);
    }
  });
});
