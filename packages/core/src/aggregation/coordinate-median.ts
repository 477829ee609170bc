import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { combineCoordinates } from './layout.js';

/** Median of a column (mean of the two middle values for an even count); sorts in place. */
function median(values: Float64Array): number {
  values.sort();
  const middle = values.length >> 1;
  return values.length % 2 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** Coordinate-wise median (Yin et al. 2018; Flower's FedMedian): robust to a minority of bad updates. */
export function aggregateCoordinateMedian(snapshots: readonly WeightSnapshot[]): WeightSnapshot {
  return combineCoordinates(snapshots, median);
}
