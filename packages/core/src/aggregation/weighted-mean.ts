import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { assertSameLayout } from './layout.js';

/**
 * FedAvg (McMahan et al. 2017): the mean of the updates weighted by each site's example count,
 * as Flower's `aggregate`. Accumulates in float64 so many sites do not lose precision.
 */
export function aggregateWeightedMean(
  updates: readonly { readonly weights: WeightSnapshot; readonly numExamples: number }[],
): WeightSnapshot {
  assertSameLayout(updates.map((u) => u.weights));
  const total = updates.reduce((sum, u) => sum + u.numExamples, 0);
  if (!(total > 0) || updates.some((u) => !(u.numExamples >= 0))) {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `FedAvg needs non-negative example counts with a positive total, got ${updates.map((u) => u.numExamples).join(', ')}`,
    );
  }
  return updates[0]!.weights.map((tensor, t) => {
    const sum = new Float64Array(tensor.values.length);
    for (const update of updates) {
      const share = update.numExamples / total;
      const values = update.weights[t]!.values;
      for (let i = 0; i < sum.length; i++) sum[i]! += values[i]! * share;
    }
    return { name: tensor.name, shape: [...tensor.shape], values: Float32Array.from(sum) };
  });
}
