import { EmodistillError, ERROR_CODES } from '../errors.js';
import { labelIndices, selectRows, type FeatureSet } from '../formats/feature-set.js';
import { createRng, shuffledIndices } from '../random/rng.js';
import { applyStandardiser, fitStandardiser } from '../stats/standardise.js';
import { herd } from '../stats/herding.js';

export const CORESET_METHODS = ['random', 'herding', 'k-center'] as const;
export type CoresetMethod = (typeof CORESET_METHODS)[number];

/** Squared Euclidean distance between row a of `x` and the vector `v` (both [dimension]). */
function squaredDistance(x: Float32Array, row: number, v: ArrayLike<number>, dimension: number): number {
  let sum = 0;
  for (let d = 0; d < dimension; d++) {
    const diff = x[row * dimension + d]! - v[d]!;
    sum += diff * diff;
  }
  return sum;
}

/** Greedy k-center (Sener & Savarese 2018): start from a seeded row, then always the farthest. */
function kCenter(x: Float32Array, rows: readonly number[], count: number, dimension: number, seed: number): number[] {
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

/**
 * Selects up to `ipc` real rows per class (all rows of a smaller class): the fair baseline for
 * any distillation method at the same budget. Distances use the set's own standardisation.
 */
export function selectCoreset(set: FeatureSet, method: CoresetMethod, ipc: number, seed = 0): FeatureSet {
  if (!Number.isInteger(ipc) || ipc < 1)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `coreset size per class must be a positive integer, got ${ipc}`,
    );
  const labels = labelIndices(set);
  const x = applyStandardiser(set.features, fitStandardiser(set.features, set.dimension));
  const keep = new Set<number>();
  set.classNames.forEach((_, c) => {
    const rows = [...labels.keys()].filter((row) => labels[row] === c);
    const count = Math.min(ipc, rows.length);
    if (count === 0) return;
    const chosen =
      method === 'random'
        ? Array.from(shuffledIndices(rows.length, createRng(seed * 7919 + c)).subarray(0, count), (i) => rows[i]!)
        : method === 'herding'
          ? herd(x, rows, count, set.dimension)
          : kCenter(x, rows, count, set.dimension, seed * 7919 + c);
    chosen.forEach((row) => keep.add(row));
  });
  return selectRows(set, (row) => keep.has(row));
}
