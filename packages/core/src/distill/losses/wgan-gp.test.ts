import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMlp } from '../../models/mlp.js';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { generatorAdversarialLoss } from './wgan-gp.js';
import { criticLoss } from '../../../test/critic-loss-reference.js';
import { useWasmBackend } from '../../../test/backend.js';

/**
 * A linear critic D(x) = x·w has ∇ₓD = w for every x, so the gradient penalty is exactly
 * (‖w‖ − 1)² and the Wasserstein term is mean(real·w) − mean(fake·w).
 * w = [3, 4] (‖w‖ = 5); real rows [1, 0], [0, 1] score 3 and 4; fake rows [2, 2], [−1, 0] score 14 and −3.
 */
const W = [3, 4];
const REAL = [
  [1, 0],
  [0, 1],
];
const FAKE = [
  [2, 2],
  [-1, 0],
];
const EPSILON = [[0.25], [0.7]];

function linearCriticLoss(w: tf.Tensor2D, lambda: number): { loss: tf.Scalar; wasserstein: tf.Scalar } {
  const critic = (x: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w);
  return criticLoss(
    critic,
    critic,
    { real: tf.tensor2d(REAL), fake: tf.tensor2d(FAKE), epsilon: tf.tensor2d(EPSILON) },
    lambda,
  );
}

describe('criticLoss (WGAN-GP)', () => {
  useWasmBackend();

  it('with a linear critic is −(mean(real·w) − mean(fake·w)) + λ(‖w‖ − 1)²', () => {
    // arrange: W = 3.5 − 5.5 = −2, penalty (5 − 1)² = 16, λ = 10
    let values = { loss: Number.NaN, wasserstein: Number.NaN };

    // act
    expectNoTensorLeak(() => {
      values = tf.tidy(() => {
        const { loss, wasserstein } = linearCriticLoss(tf.tensor2d([W[0]!, W[1]!], [2, 1]), 10);
        return { loss: loss.dataSync()[0]!, wasserstein: wasserstein.dataSync()[0]! };
      });
    });

    // assert
    expect(values.wasserstein).toBeCloseTo(-2, 5);
    expect(values.loss).toBeCloseTo(2 + 10 * 16, 3);
  });

  it('has no penalty when the critic is 1-Lipschitz along its gradient (‖w‖ = 1)', () => {
    // arrange: w = [0.6, 0.8]; W = mean([0.6, 0.8]) − mean([2.8, −0.6]) = 0.7 − 1.1 = −0.4
    let loss = Number.NaN;

    // act
    expectNoTensorLeak(() => {
      loss = tf.tidy(() => linearCriticLoss(tf.tensor2d([0.6, 0.8], [2, 1]), 10).loss.dataSync()[0]!);
    });

    // assert
    expect(loss).toBeCloseTo(0.4, 5);
  });

  it('differentiates through the penalty (double backprop): ∂L/∂w = −(r̄ − f̄) + 2λ(‖w‖ − 1)·w/‖w‖', () => {
    // arrange: r̄ − f̄ = [0, −0.5]; 2·10·4·[0.6, 0.8] = [48, 64]; so the gradient is [48, 64.5]
    const w = tf.variable(tf.tensor2d([W[0]!, W[1]!], [2, 1]), true, 'wgan-gp-test/w');
    let gradient: Float32Array = new Float32Array();

    // act
    try {
      expectNoTensorLeak(() => {
        gradient = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => linearCriticLoss(w, 10).loss, [w]);
          value.dispose();
          return grads[w.name]!.dataSync() as Float32Array;
        });
      });
    } finally {
      w.dispose();
    }

    // assert
    expect(gradient[0]).toBeCloseTo(48, 3);
    expect(gradient[1]).toBeCloseTo(64.5, 3);
  });

  it('gives a two-layer leaky-ReLU critic (models/mlp.ts) finite weight gradients that include the penalty', () => {
    // arrange
    const critic = createMlp({
      inputDimension: 3,
      hiddenUnits: [5],
      outputDimension: 1,
      activation: 'leakyRelu',
      seed: 4,
      name: 'wgan-gp-test-critic',
    });
    const real = tf.tensor2d([0.5, -1, 2, 1.5, 0.3, -0.7, -2, 0.1, 0.9, 1, 1, 1], [4, 3]);
    const fake = tf.tensor2d([-0.5, 1, 0.2, 0.4, -1.3, 0.7, 1, -0.1, -0.9, 0, 2, -1], [4, 3]);
    const epsilon = tf.tensor2d([0.1, 0.4, 0.6, 0.9], [4, 1]);
    const gradientsWith = (lambda: number): Float32Array[] =>
      tf.tidy(() => {
        const score = (x: tf.Tensor2D): tf.Tensor2D => critic.apply(x).output;
        const { value, grads } = tf.variableGrads(
          () => criticLoss(score, score, { real, fake, epsilon }, lambda).loss,
          critic.variables as tf.Variable[],
        );
        value.dispose();
        return critic.variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
      });
    let withPenalty: Float32Array[] = [];
    let withoutPenalty: Float32Array[] = [];

    // act
    try {
      expectNoTensorLeak(() => {
        withPenalty = gradientsWith(10);
        withoutPenalty = gradientsWith(0);
      });
    } finally {
      critic.dispose();
      tf.dispose([real, fake, epsilon]);
    }

    // assert: every variable gets a finite gradient; the first-layer kernel's changes with λ
    expect(withPenalty).toHaveLength(4);
    for (const g of withPenalty) expect(g.every(Number.isFinite)).toBe(true);
    const kernelDifference = withPenalty[0]!.reduce((sum, g, i) => sum + Math.abs(g - withoutPenalty[0]![i]!), 0);
    expect(kernelDifference).toBeGreaterThan(1e-4);
    expect(withPenalty[0]!.some((g) => g !== 0)).toBe(true);
  });

  it('refuses real and fake batches of different shapes', () => {
    // arrange
    const real = tf.zeros([2, 3]) as tf.Tensor2D;
    const fake = tf.zeros([3, 3]) as tf.Tensor2D;
    const epsilon = tf.zeros([2, 1]) as tf.Tensor2D;
    const critic = (x: tf.Tensor2D): tf.Tensor2D => tf.sum(x, 1, true);

    // act / assert
    try {
      expect(() => criticLoss(critic, critic, { real, fake, epsilon }, 10)).toThrow(/real \[2,3\] and fake \[3,3\]/);
    } finally {
      tf.dispose([real, fake, epsilon]);
    }
  });
});

describe('generatorAdversarialLoss', () => {
  it('is −mean of the critic scores of fake rows', () => {
    // arrange
    const scores = tf.tensor2d([1, 2, 3, -2], [4, 1]);
    let loss = Number.NaN;

    // act
    try {
      expectNoTensorLeak(() => {
        loss = tf.tidy(() => generatorAdversarialLoss(scores).dataSync()[0]!);
      });
    } finally {
      scores.dispose();
    }

    // assert
    expect(loss).toBeCloseTo(-1, 6);
  });
});
