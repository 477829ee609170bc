import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { speakerInvarianceLoss } from './speaker-invariance.js';

const lossOf = (logits: number[][]): number => tf.tidy(() => speakerInvarianceLoss(tf.tensor2d(logits)).dataSync()[0]!);

describe('speakerInvarianceLoss (KL of the speaker posterior from uniform)', () => {
  it('is 0 for a uniform posterior and log K for a certain one', () => {
    expect(lossOf([[2, 2, 2, 2]])).toBeCloseTo(0, 6);
    expect(lossOf([[60, 0, 0, 0]])).toBeCloseTo(Math.log(4), 5);
  });

  it('is the mean of log K − H(p) over rows', () => {
    // p = [0.5, 0.5, 0] (logits ln 1, ln 1, −∞ approximated): log 3 − log 2 for that row; 0 for the uniform one
    const loss = lossOf([
      [0, 0, -80],
      [1, 1, 1],
    ]);
    expect(loss).toBeCloseTo((Math.log(3) - Math.log(2)) / 2, 5);
  });

  it('pulls the logits towards each other (its gradient), and frees its tensors', () => {
    expectNoTensorLeak(() => {
      const step = tf.tidy(() => {
        const logits = tf.tensor2d([[3, 0, -1]]);
        return tf
          .grad((x: tf.Tensor) => speakerInvarianceLoss(x as tf.Tensor2D))(logits)
          .dataSync();
      });
      expect(step[0]).toBeGreaterThan(0); // descending lowers the largest logit
      expect(step[2]).toBeLessThan(0); // and raises the smallest
    });
  });
});
