import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { combineCoordinates } from './layout.js';

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018; Flower's FedTrimmedAvg): drop the
 * floor(β·n) largest and smallest values of each coordinate, average the rest.
 * @param trimFraction β in [0, 0.5)
 */
export function aggregateTrimmedMean(snapshots: readonly WeightSnapshot[], trimFraction: number): WeightSnapshot {
  if (!(trimFraction >= 0 && trimFraction < 0.5))
    throw new EmodistillError(ERROR_CODES.invalidOption, `trim fraction must be in [0, 0.5), got ${trimFraction}`);
  const cut = Math.floor(trimFraction * snapshots.length);
  return combineCoordinates(snapshots, (values) => {
    values.sort();
    let sum = 0;
    for (let i = cut; i < values.length - cut; i++) sum += values[i]!;
    return sum / (values.length - 2 * cut);
  });
}
