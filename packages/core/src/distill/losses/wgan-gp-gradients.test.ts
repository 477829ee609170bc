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
        const result = criticLossAndGradients({ kernels, biases, negativeSlope: LEAKY_SLOPE }, stacked, {
          batch: BATCH,
          gradientColumns: FEATURES,
          gradientPenaltyWeight: 10,
        });
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

  it('clips each example’s whole contribution (real row, fake row, interpolate) to the clip norm, as per-example runs give', () => {
    // arrange: per-example gradients from one-example runs with the batch's normaliser; the batched
    // clipped gradient must be Σ min(1, C/‖g_i‖)·g_i with ‖g_i‖ measured before the normalisation.
    const critic = createMlp({
      inputDimension: FEATURES + CLASSES,
      hiddenUnits: [6, 5],
      outputDimension: 1,
      activation: 'leakyRelu',
      seed: 5,
      name: 'gp-clip-test-critic',
    });
    const variables = critic.variables as tf.Variable[];
    const weights = {
      kernels: variables.filter((_, i) => i % 2 === 0) as tf.Tensor[] as tf.Tensor2D[],
      biases: variables.filter((_, i) => i % 2 === 1) as tf.Tensor[] as tf.Tensor1D[],
      negativeSlope: LEAKY_SLOPE,
    };
    const real = values(BATCH * FEATURES, 3).map((v, i) => v * (1 + Math.floor(i / FEATURES) * 2));
    const fake = values(BATCH * FEATURES, 4);
    const epsilon = [0.2, 0.4, 0.6, 0.9];
    const labels = [1, 0, 0, 1, 1, 0, 0, 1];
    const stackedOf = (examples: number[]): tf.Tensor2D => {
      const pick = (data: number[], width: number): number[] =>
        examples.flatMap((e) => data.slice(e * width, (e + 1) * width));
      const r = pick(real, FEATURES);
      const f = pick(fake, FEATURES);
      const x = r.map((v, i) => f[i]! + epsilon[examples[Math.floor(i / FEATURES)]!]! * (v - f[i]!));
      const oneHot = pick(labels, CLASSES);
      const rows = [r, f, x].flatMap((block) =>
        examples.flatMap((_, e) => [
          ...block.slice(e * FEATURES, (e + 1) * FEATURES),
          ...oneHot.slice(e * CLASSES, (e + 1) * CLASSES),
        ]),
      );
      return tf.tensor2d(rows, [3 * examples.length, FEATURES + CLASSES]);
    };
    const flat = (result: { kernelGradients: tf.Tensor[]; biasGradients: tf.Tensor[] }): number[] =>
      result.kernelGradients.flatMap((k, i) => [
        ...(k.dataSync() as Float32Array),
        ...(result.biasGradients[i]!.dataSync() as Float32Array),
      ]);
    const options = { batch: 1, gradientColumns: FEATURES, gradientPenaltyWeight: 10, normaliser: BATCH };
    const perExample = [0, 1, 2, 3].map((e) =>
      tf.tidy(() => flat(criticLossAndGradients(weights, stackedOf([e]), options))),
    );
    const norms = perExample.map((g) => BATCH * Math.hypot(...g));
    const clipNorm = [...norms].sort((a, b) => a - b)[1]!; // clips three of the four examples
    let clipped: number[] = [];
    let reported: number[] = [];

    // act
    try {
      expectNoTensorLeak(() => {
        tf.tidy(() => {
          const result = criticLossAndGradients(weights, stackedOf([0, 1, 2, 3]), {
            ...options,
            batch: BATCH,
            clipNorm,
          });
          clipped = flat(result);
          reported = Array.from(result.exampleNorms!.dataSync());
        });
      });
    } finally {
      critic.dispose();
    }

    // assert
    expect(new Set(norms.map((n) => n.toFixed(3))).size).toBe(4);
    expect(relativeError(Float32Array.from(reported), Float32Array.from(norms))).toBeLessThan(1e-4);
    const expected = perExample[0]!.map((_, j) =>
      perExample.reduce((sum, g, e) => sum + Math.min(1, clipNorm / norms[e]!) * g[j]!, 0),
    );
    expect(relativeError(Float32Array.from(clipped), Float32Array.from(expected))).toBeLessThan(1e-4);
    for (const [e, g] of perExample.entries())
      expect(BATCH * Math.min(1, clipNorm / norms[e]!) * Math.hypot(...g)).toBeLessThanOrEqual(clipNorm * (1 + 1e-6));
  });

  it('refuses a stacked batch that is not 3 × batch rows', () => {
    // arrange
    const kernels = [tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2, 1]) as tf.Tensor2D];
    const biases = [tf.zeros([2]) as tf.Tensor1D, tf.zeros([1]) as tf.Tensor1D];
    const stacked = tf.zeros([5, 3]) as tf.Tensor2D;

    // act / assert
    try {
      expect(() =>
        criticLossAndGradients({ kernels, biases, negativeSlope: 0.2 }, stacked, {
          batch: 2,
          gradientColumns: 3,
          gradientPenaltyWeight: 10,
        }),
      ).toThrow(/5 rows, expected 3 × 2/);
    } finally {
      tf.dispose([...kernels, ...biases, stacked]);
    }
  });
});
