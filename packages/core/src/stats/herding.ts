/**
 * Herding (Welling 2009; the selection of iCaRL): greedily add the row that brings the running
 * mean of the selection closest to the mean of `rows`.
 * @param x row-major [N, dimension] @returns `count` of `rows`, in the order chosen
 */
export function herd(x: Float32Array, rows: readonly number[], count: number, dimension: number): number[] {
  const classMean = new Float64Array(dimension);
  for (const row of rows) for (let d = 0; d < dimension; d++) classMean[d]! += x[row * dimension + d]! / rows.length;
  const selectedSum = new Float64Array(dimension);
  const selected: number[] = [];
  const remaining = new Set(rows);
  while (selected.length < count) {
    let best = -1;
    let bestDistance = Infinity;
    const k = selected.length + 1;
    for (const row of remaining) {
      let distance = 0;
      for (let d = 0; d < dimension; d++) {
        const diff = classMean[d]! - (selectedSum[d]! + x[row * dimension + d]!) / k;
        distance += diff * diff;
      }
      if (distance < bestDistance) [best, bestDistance] = [row, distance];
    }
    selected.push(best);
    remaining.delete(best);
    for (let d = 0; d < dimension; d++) selectedSum[d]! += x[best * dimension + d]!;
  }
  return selected;
}
