import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { softmaxMatchingLoss } from './softmax-matching.js';

/** Evaluates the loss for pool members given as [real logits, fake logits] pairs, checking for leaks. */
function lossOf(members: [number[][], number[][]][]): number {
  let value = Number.NaN;
  expectNoTensorLeak(() => {
    value = tf.tidy(
      () =>
        softmaxMatchingLoss(
          members.map(([real]) => tf.tensor2d(real)),
          members.map(([, fake]) => tf.tensor2d(fake)),
        ).dataSync()[0]!,
    );
  });
  return value;
}

describe('softmaxMatchingLoss', () => {
  it('is 0 for identical logits, and for logits that differ by a constant per row (same softmax)', () => {
    // arrange
    const logits = [
      [1, -2, 0.5],
      [0, 3, -1],
    ];
    const shifted = logits.map((row, i) => row.map((x) => x + 10 * (i + 1)));

    // act
    const identical = lossOf([[logits, logits]]);
    const shiftedLoss = lossOf([[logits, shifted]]);

    // assert
    expect(identical).toBe(0);
    expect(shiftedLoss).toBeCloseTo(0, 5);
  });

  it('is the mean squared difference of log-softmax values', () => {
    // arrange: log softmax [1, 0] − log softmax [0, 1] = [1, −1] (the normaliser cancels) → mean square 1;
    // second row identical → 0; mean over both rows and classes = 0.5
    const real = [
      [1, 0],
      [2, 2],
    ];
    const fake = [
      [0, 1],
      [2, 2],
    ];

    // act
    const loss = lossOf([[real, fake]]);

    // assert
    expect(loss).toBeCloseTo(0.5, 5);
  });

  it('averages over the pool members', () => {
    // arrange: member 1 gives 1 (as above), member 2 gives 0, member 3 gives 4 ([2, −2] differences)
    const member1: [number[][], number[][]] = [[[1, 0]], [[0, 1]]];
    const member2: [number[][], number[][]] = [[[3, -1]], [[3, -1]]];
    const member3: [number[][], number[][]] = [[[2, 0]], [[0, 2]]];

    // act
    const loss = lossOf([member1, member2, member3]);

    // assert
    expect(loss).toBeCloseTo(5 / 3, 5);
  });

  it('refuses an empty pool or unequal numbers of real and fake logit sets', () => {
    // arrange
    const logits = tf.zeros([1, 2]) as tf.Tensor2D;

    // act / assert
    try {
      expect(() => softmaxMatchingLoss([], [])).toThrow(/0 real and 0 fake/);
      expect(() => softmaxMatchingLoss([logits], [logits, logits])).toThrow(/1 real and 2 fake/);
    } finally {
      logits.dispose();
    }
  });
});
