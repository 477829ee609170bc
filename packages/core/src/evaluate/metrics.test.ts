import { describe, expect, it } from 'vitest';
import { confusionMatrix, meanAndStd, pairedDifference, unweightedAverageRecall, weightedAccuracy } from './metrics.js';

// Three classes, six utterances: class 0 recall 2/3, class 1 recall 1/2, class 2 recall 1/1.
const TRUTH = Int32Array.from([0, 0, 0, 1, 1, 2]);
const PREDICTED = Int32Array.from([0, 0, 1, 1, 0, 2]);

describe('confusionMatrix', () => {
  it('counts [true][predicted] pairs and leaves its inputs unchanged', () => {
    // arrange
    const [truth, predicted] = [TRUTH.slice(), PREDICTED.slice()];

    // act
    const matrix = confusionMatrix(truth, predicted, 3);

    // assert
    expect(matrix).toEqual([
      [2, 1, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(truth).toEqual(TRUTH);
    expect(predicted).toEqual(PREDICTED);
  });

  it('gives an all-zero matrix for no utterances', () => {
    // arrange / act / assert
    expect(confusionMatrix(new Int32Array(0), new Int32Array(0), 2)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('unweightedAverageRecall', () => {
  it('averages per-class recalls, so every class counts the same whatever its size', () => {
    // arrange / act
    const uar = unweightedAverageRecall(TRUTH, PREDICTED, 3);

    // assert
    expect(uar).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 12);
  });

  it('ignores classes absent from the truth instead of counting them as zero recall', () => {
    // arrange / act
    const uar = unweightedAverageRecall(TRUTH, PREDICTED, 5);

    // assert
    expect(uar).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 12);
  });

  it('differs from accuracy on imbalanced data: always predicting the majority gives 1/classes', () => {
    // arrange: nine of class 0, one of class 1
    const truth = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const predicted = new Int32Array(10);

    // act / assert
    expect(unweightedAverageRecall(truth, predicted, 2)).toBe(0.5);
    expect(weightedAccuracy(truth, predicted)).toBe(0.9);
  });

  it('is 1 for perfect predictions and 0 when every prediction is wrong', () => {
    // arrange / act / assert
    expect(unweightedAverageRecall(TRUTH, TRUTH, 3)).toBe(1);
    expect(
      unweightedAverageRecall(
        TRUTH,
        Int32Array.from(TRUTH, (t) => (t + 1) % 3),
        3,
      ),
    ).toBe(0);
  });
});

describe('weightedAccuracy', () => {
  it('is the fraction of correct predictions', () => {
    // arrange / act / assert
    expect(weightedAccuracy(TRUTH, PREDICTED)).toBeCloseTo(4 / 6, 12);
  });
});

describe('meanAndStd', () => {
  it('gives the mean and the sample (n − 1) standard deviation', () => {
    // arrange / act
    const result = meanAndStd([1, 2, 3, 4]);

    // assert
    expect(result.mean).toBe(2.5);
    expect(result.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('gives std 0 for a single value', () => {
    // arrange / act / assert
    expect(meanAndStd([0.7])).toEqual({ mean: 0.7, std: 0 });
  });
});

describe('pairedDifference', () => {
  it('gives a − b per pair, their mean and a Student-t 95 % interval (5 pairs: t(0.975, 4) = 2.7764)', () => {
    // arrange: per pair 2, 4, 3, 5, 1 → mean 3, squared deviations 1 + 1 + 0 + 4 + 4 = 10,
    // s² = 10/4, standard error √(2.5/5) = √0.5, half-width 2.776445·√0.5 = 1.963243
    const b = [10, 9, 11, 10, 12];
    const a = [12, 13, 14, 15, 13];

    // act
    const result = pairedDifference(a, b);

    // assert
    expect(result.perPair).toEqual([2, 4, 3, 5, 1]);
    expect(result.mean).toBe(3);
    const half = 2.776445 * Math.sqrt(0.5);
    expect(result.interval[0]).toBeCloseTo(3 - half, 5);
    expect(result.interval[1]).toBeCloseTo(3 + half, 5);
    expect(result.interval[0]).toBeCloseTo(1.036757, 5);
    expect(result.interval[1]).toBeCloseTo(4.963243, 5);
  });

  it('keeps the order and sign of the pairs (a − b, not b − a) and leaves its inputs unchanged', () => {
    // arrange
    const a = [0.6, 0.5];
    const b = [0.7, 0.2];
    const [aCopy, bCopy] = [[...a], [...b]];

    // act
    const result = pairedDifference(a, b);

    // assert: two pairs, t(0.975, 1) = 12.7062; per pair −0.1, 0.3 → mean 0.1, s = √0.08, se = 0.2
    expect(result.perPair[0]).toBeCloseTo(-0.1, 12);
    expect(result.perPair[1]).toBeCloseTo(0.3, 12);
    expect(result.mean).toBeCloseTo(0.1, 12);
    expect(result.interval[0]).toBeCloseTo(0.1 - 12.706205 * 0.2, 5);
    expect(result.interval[1]).toBeCloseTo(0.1 + 12.706205 * 0.2, 5);
    expect(a).toEqual(aCopy);
    expect(b).toEqual(bCopy);
  });

  it('gives an interval of zero width when every pair differs by the same amount', () => {
    // arrange / act
    const result = pairedDifference([3, 4, 5], [1, 2, 3]);

    // assert
    expect(result).toEqual({ mean: 2, interval: [2, 2], perPair: [2, 2, 2] });
  });

  it('gives an unbounded interval for one pair', () => {
    // arrange / act
    const result = pairedDifference([0.8], [0.75]);

    // assert
    expect(result.mean).toBeCloseTo(0.05, 12);
    expect(result.interval).toEqual([-Infinity, Infinity]);
  });

  it('refuses lists of different lengths or no pairs at all, naming both lengths', () => {
    // arrange / act / assert
    expect(() => pairedDifference([1, 2, 3], [1, 2])).toThrow(/3 and 2 values/);
    expect(() => pairedDifference([], [])).toThrow(/0 and 0 values/);
  });
});
