import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from '../../../test/tensor-leak.js';
import { classMeans, featureMatchingLoss, privateClassMeans } from './feature-matching.js';

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

describe('privateClassMeans', () => {
  const oneHot = (labels: number[], classCount: number): tf.Tensor2D =>
    tf.oneHot(tf.tensor1d(labels, 'int32'), classCount).toFloat() as tf.Tensor2D;
  /** The noise-free release as one vector: the per-class sums of clipped rows, and clipNorm × the counts. */
  const release = (rows: number[][], labels: number[], clipNorm: number): number[] =>
    tf.tidy(() => {
      const { means, present } = privateClassMeans(tf.tensor2d(rows), oneHot(labels, 2), 2, {
        clipNorm,
        noiseMultiplier: 0,
        seed: 1,
      });
      const counts = tf.sum(oneHot(labels, 2), 0);
      expect(Array.from(present.dataSync())).toEqual(Array.from(counts.dataSync(), (c) => (c >= 1 ? 1 : 0)));
      return [...tf.mul(means, counts.expandDims(1)).dataSync(), ...tf.mul(counts, clipNorm).dataSync()];
    });

  it('without noise, and rows inside the clip norm, gives the class means', () => {
    const rows = [
      [1, 2],
      [3, 4],
      [0.5, 0.5],
    ];
    expectNoTensorLeak(() =>
      tf.tidy(() => {
        const exact = classMeans(tf.tensor2d(rows), oneHot([0, 0, 1], 2));
        const released = privateClassMeans(tf.tensor2d(rows), oneHot([0, 0, 1], 2), 2, {
          clipNorm: 100,
          noiseMultiplier: 0,
          seed: 1,
        });
        expect(Array.from(released.means.dataSync())).toEqual(Array.from(exact.means.dataSync()));
      }),
    );
  });

  it('bounds one row: adding it moves the released sums and counts by at most √2 · clipNorm', () => {
    // arrange
    const rows = [
      [1, 2],
      [3, 4],
      [0.5, 0.5],
    ];
    const clipNorm = 2;

    // act: a long row (norm 500) and a short one (norm 0.5) added to class 1
    const before = release(rows, [0, 0, 1], clipNorm);
    const afterLong = release([...rows, [300, -400]], [0, 0, 1, 1], clipNorm);
    const afterShort = release([...rows, [0.3, 0.4]], [0, 0, 1, 1], clipNorm);

    // assert
    const distance = (a: number[], b: number[]): number => Math.hypot(...a.map((v, i) => v - b[i]!));
    expect(distance(before, afterLong)).toBeCloseTo(Math.SQRT2 * clipNorm, 4);
    expect(distance(before, afterShort)).toBeLessThan(Math.SQRT2 * clipNorm);
  });

  it('noises by σ · √2 · clipNorm, seeded, and an empty batch still releases (noise only)', () => {
    const draw = (seed: number): number[] =>
      tf.tidy(() =>
        Array.from(
          privateClassMeans(tf.zeros([0, 4000]) as tf.Tensor2D, tf.zeros([0, 2]) as tf.Tensor2D, 2, {
            clipNorm: 3,
            noiseMultiplier: 2,
            seed,
          }).means.dataSync(),
        ),
      );
    const first = draw(7);
    expect(draw(7)).toEqual(first);
    expect(draw(8)).not.toEqual(first);
    expect(first.every(Number.isFinite)).toBe(true);
    // Pure noise: sums of std σ√2C ≈ 8.5 over a noisy count of at least 1.
    const std = Math.sqrt(first.reduce((sum, v) => sum + v * v, 0) / first.length);
    expect(std).toBeGreaterThan(0.5);
  });
});
