/** Rows of a row-major matrix [count, dimension]. */
export interface Rows {
  readonly values: Float32Array;
  readonly dimension: number;
}

export const rowCount = (rows: Rows): number => rows.values.length / rows.dimension;

/**
 * For each query row, the Euclidean distances to its nearest and second-nearest reference rows
 * (brute force: exact, and fast enough for corpora of thousands of utterances).
 * @param exclude optional: reference rows a query may not match (e.g. the same speaker)
 */
export function nearestDistances(
  queries: Rows,
  references: Rows,
  exclude?: (query: number, reference: number) => boolean,
): { first: Float64Array; second: Float64Array } {
  const { dimension } = queries;
  const count = rowCount(queries);
  const referenceCount = rowCount(references);
  const first = new Float64Array(count).fill(Infinity);
  const second = new Float64Array(count).fill(Infinity);
  for (let q = 0; q < count; q++) {
    const qOffset = q * dimension;
    for (let r = 0; r < referenceCount; r++) {
      if (exclude?.(q, r)) continue;
      const rOffset = r * dimension;
      let sum = 0;
      for (let d = 0; d < dimension; d++) {
        const diff = queries.values[qOffset + d]! - references.values[rOffset + d]!;
        sum += diff * diff;
      }
      if (sum < first[q]!) {
        second[q] = first[q]!;
        first[q] = sum;
      } else if (sum < second[q]!) second[q] = sum;
    }
    first[q] = Math.sqrt(first[q]!);
    second[q] = Math.sqrt(second[q]!);
  }
  return { first, second };
}
