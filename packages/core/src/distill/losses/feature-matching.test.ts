import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { featureMatchingLoss } from './feature-matching.js';

/** Evaluates the loss on plain arrays, checking for leaks, and returns its value. */
function lossOf(
  realFeatures: number[][],
  realLabels: number[],
  fakeFeatures: number[][],
  fakeLabels: number[],
  classCount: number,
): number {
  let value = Number.NaN;
  expectNoTensorLeak(() => {
    value = tf.tidy(() => {
      const oneHot = (labels: number[]): tf.Tensor2D =>
        tf.oneHot(tf.tensor1d(labels, 'int32'), classCount).toFloat() as tf.Tensor2D;
      return featureMatchingLoss(
        tf.tensor2d(realFeatures),
        oneHot(realLabels),
        tf.tensor2d(fakeFeatures),
        oneHot(fakeLabels),
      ).dataSync()[0]!;
    });
  });
  return value;
}

describe('featureMatchingLoss', () => {
  it('sums the squared distances between per-class mean features', () => {
    // arrange: real means c0 [2, 3], c1 [5, 5]; fake means c0 [1, 1], c1 [6, 7] → 5 + 5
    const real = [
      [1, 2],
      [3, 4],
      [5, 5],
    ];
    const fake = [
      [0, 0],
      [6, 7],
      [2, 2],
    ];

    // act
    const loss = lossOf(real, [0, 0, 1], fake, [0, 1, 0], 2);

    // assert
    expect(loss).toBeCloseTo(10, 5);
  });

  it('is 0 when the class means agree even though the rows differ', () => {
    // arrange: class 1 appears in neither batch
    const real = [
      [1, 1],
      [3, 3],
    ];
    const fake = [
      [0, 4],
      [4, 0],
    ];

    // act
    const loss = lossOf(real, [0, 0], fake, [0, 0], 2);

    // assert
    expect(loss).toBeCloseTo(0, 6);
  });

  it('counts nothing for a class that is missing from either batch', () => {
    // arrange: as in the first case, plus class 2 only among the real rows and class 3 only among the fake rows
    const real = [
      [1, 2],
      [3, 4],
      [5, 5],
      [100, 100],
    ];
    const fake = [
      [0, 0],
      [6, 7],
      [2, 2],
      [-50, 80],
    ];

    // act
    const loss = lossOf(real, [0, 0, 1, 2], fake, [0, 1, 0, 3], 4);

    // assert
    expect(loss).toBeCloseTo(10, 5);
  });

  it('refuses feature batches of different widths', () => {
    // arrange
    const real = tf.zeros([2, 3]) as tf.Tensor2D;
    const fake = tf.zeros([2, 4]) as tf.Tensor2D;
    const oneHot = tf.ones([2, 1]) as tf.Tensor2D;

    // act / assert
    try {
      expect(() => featureMatchingLoss(real, oneHot, fake, oneHot)).toThrow(/3 and 4/);
    } finally {
      tf.dispose([real, fake, oneHot]);
    }
  });
});
