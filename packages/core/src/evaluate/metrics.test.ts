import { describe, expect, it } from 'vitest';
import { confusionMatrix, meanAndStd, unweightedAverageRecall, weightedAccuracy } from './metrics.js';

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
