import { createRng } from '../random/rng.js';

/** Squared Euclidean distance between row a of `x` and the vector `v` (both [dimension]). */
function squaredDistance(x: Float32Array, row: number, v: ArrayLike<number>, dimension: number): number {
  let sum = 0;
  for (let d = 0; d < dimension; d++) {
    const diff = x[row * dimension + d]! - v[d]!;
    sum += diff * diff;
  }
  return sum;
}

/**
 * Greedy k-center (Sener & Savarese 2018): start from a seeded row of `rows`, then always the one
 * farthest from those chosen. @param x row-major [N, dimension] @returns `count` of `rows`, in the order chosen
 */
export function kCenter(
  x: Float32Array,
  rows: readonly number[],
  count: number,
  dimension: number,
  seed: number,
): number[] {
  const start = Math.floor(createRng(seed).next() * rows.length);
  const first = rows[start]!;
  const selected = [first];
  const nearest = new Float64Array(rows.length).map((_, i) =>
    squaredDistance(x, rows[i]!, x.subarray(first * dimension, (first + 1) * dimension), dimension),
  );
  // Selected rows get −1, below any distance: with duplicate rows every unselected distance can be 0.
  nearest[start] = -1;
  while (selected.length < count) {
    let farthest = 0;
    for (let i = 1; i < rows.length; i++) if (nearest[i]! > nearest[farthest]!) farthest = i;
    const chosen = rows[farthest]!;
    selected.push(chosen);
    nearest[farthest] = -1;
    const centre = x.subarray(chosen * dimension, (chosen + 1) * dimension);
    for (let i = 0; i < rows.length; i++)
      nearest[i] = Math.min(nearest[i]!, squaredDistance(x, rows[i]!, centre, dimension));
  }
  return selected;
}
