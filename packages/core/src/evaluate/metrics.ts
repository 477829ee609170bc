// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- jstat ships no typings, and packages compiling these sources must see ours
/// <reference path="../types/jstat.d.ts" />
import jstat from 'jstat';

/** Confusion counts [true][predicted] over `classCount` classes. */
export function confusionMatrix(truth: Int32Array, predicted: Int32Array, classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  truth.forEach((t, i) => matrix[t]![predicted[i]!]!++);
  return matrix;
}

/** Unweighted average recall: the mean of per-class recalls over classes present in `truth`. */
export function unweightedAverageRecall(truth: Int32Array, predicted: Int32Array, classCount: number): number {
  const recalls = confusionMatrix(truth, predicted, classCount)
    .map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total > 0 ? row[c]! / total : undefined;
    })
    .filter((recall): recall is number => recall !== undefined);
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/** Weighted accuracy as used in SER papers: plain accuracy over all test utterances. */
export function weightedAccuracy(truth: Int32Array, predicted: Int32Array): number {
  let correct = 0;
  truth.forEach((t, i) => {
    if (t === predicted[i]) correct++;
  });
  return correct / truth.length;
}

/** Mean and sample standard deviation. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** A mean difference with its two-sided 95 % confidence interval. */
export interface PairedDifference {
  readonly mean: number;
  readonly interval: readonly [number, number];
  /** a − b per pair, in the order given. */
  readonly perPair: readonly number[];
}

/**
 * The paired difference a − b (e.g. per fold) with a Student-t 95 % interval over the pairs: the
 * fair comparison of two methods measured on the same folds, whose fold-to-fold spread cancels.
 * With one pair the interval is unbounded.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length || a.length === 0)
    throw new Error(`pairedDifference: ${a.length} and ${b.length} values; need the same positive number`);
  const perPair = a.map((value, i) => value - b[i]!);
  const { mean, std } = meanAndStd(perPair);
  const half =
    perPair.length > 1
      ? jstat.jStat.studentt.inv(0.975, perPair.length - 1) * (std / Math.sqrt(perPair.length))
      : Infinity;
  return { mean, interval: [mean - half, mean + half], perPair };
}
