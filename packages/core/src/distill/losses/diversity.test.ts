import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { diversityLoss } from './diversity.js';

describe('diversityLoss (mode seeking)', () => {
  it('is 1 / (ratio + 1e-5) with ratio = mean|G(z₁) − G(z₂)| / mean|z₁ − z₂|', () => {
    // arrange: output differences |[2, −2; 1, −3]| mean 2; noise differences |[4, −4, 4; −4, 4, −4]| mean 4 → ratio 0.5
    const fakeA = [
      [1, 0],
      [2, 5],
    ];
    const fakeB = [
      [-1, 2],
      [1, 8],
    ];
    const noiseA = [
      [1, -2, 3],
      [0, 0, 0],
    ];
    const noiseB = [
      [-3, 2, -1],
      [4, -4, 4],
    ];
    let loss = Number.NaN;

    // act
    expectNoTensorLeak(() => {
      loss = tf.tidy(
        () =>
          diversityLoss(
            tf.tensor2d(fakeA),
            tf.tensor2d(fakeB),
            tf.tensor2d(noiseA),
            tf.tensor2d(noiseB),
          ).dataSync()[0]!,
      );
    });

    // assert
    expect(loss).toBeCloseTo(1 / (0.5 + 1e-5), 4);
  });

  it('is large (1e5) when the generator ignores its noise (collapse)', () => {
    // arrange
    const fake = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const noiseA = tf.tensor2d([0, 1, 2, 3], [2, 2]);
    const noiseB = tf.tensor2d([3, 2, 1, 0], [2, 2]);
    let loss = Number.NaN;

    // act
    try {
      expectNoTensorLeak(() => {
        loss = tf.tidy(() => diversityLoss(fake, fake, noiseA, noiseB).dataSync()[0]!);
      });
    } finally {
      tf.dispose([fake, noiseA, noiseB]);
    }

    // assert
    expect(loss).toBeCloseTo(1e5, 0);
  });

  it('refuses fake batches of different shapes', () => {
    // arrange
    const a = tf.zeros([2, 2]) as tf.Tensor2D;
    const b = tf.zeros([3, 2]) as tf.Tensor2D;

    // act / assert
    try {
      expect(() => diversityLoss(a, b, a, a)).toThrow(/\[2,2\] vs \[3,2\]/);
    } finally {
      tf.dispose([a, b]);
    }
  });
});
