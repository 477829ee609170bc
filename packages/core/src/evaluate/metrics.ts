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
