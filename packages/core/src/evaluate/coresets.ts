import { EmodistillError, ERROR_CODES } from '../errors.js';
import { labelIndices, selectRows, type FeatureSet } from '../formats/feature-set.js';
import { createRng, shuffledIndices } from '../random/rng.js';
import { applyStandardiser, fitStandardiser } from '../stats/standardise.js';
import { herd } from '../stats/herding.js';
import { kCenter } from '../stats/k-center.js';

export const CORESET_METHODS = ['random', 'herding', 'k-center'] as const;
export type CoresetMethod = (typeof CORESET_METHODS)[number];

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
