import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { assertSameLayout } from './layout.js';

/** How far a round's site updates pull apart (client drift), measured on the updates alone. */
export interface UpdateDrift {
  /** Euclidean norm of the plain (unweighted) mean of the updates. */
  readonly meanNorm: number;
  /**
   * Per update, in input order: cosine similarity with the mean update, in [-1, 1] (1: the site
   * pulls the way the federation goes; near 0 or below: it pulls elsewhere). Null when the update
   * or the mean is all zeros (no direction).
   */
  readonly cosineToMean: readonly (number | null)[];
  /** Mean cosine similarity over every pair of non-zero updates; null with fewer than two of them. */
  readonly meanPairwiseCosine: number | null;
}

const clampCosine = (value: number): number => Math.min(1, Math.max(-1, value));

/**
 * Drift of a round's updates Δ_s (same layout): the norm of their mean m = (1/n) Σ Δ_s, each
 * update's cosine with m, and the mean pairwise cosine, from |Σ Δ_s/|Δ_s||² = k + Σ_{s≠t} cos(Δ_s, Δ_t)
 * over the k non-zero updates (O(n·size), not O(n²·size)). The mean is the plain one whatever the
 * strategy, so rounds of different strategies compare. Sums in float64; inputs are never mutated.
 */
export function measureUpdateDrift(updates: readonly WeightSnapshot[]): UpdateDrift {
  assertSameLayout(updates);
  const count = updates.length;
  const squaredNorms = new Float64Array(count);
  for (let s = 0; s < count; s++)
    for (const tensor of updates[s]!) for (const value of tensor.values) squaredNorms[s]! += value * value;
  const norms = Array.from(squaredNorms, Math.sqrt);
  const dots = new Float64Array(count);
  let meanSquared = 0;
  let unitSumSquared = 0;
  updates[0]!.forEach((tensor, t) => {
    for (let i = 0; i < tensor.values.length; i++) {
      let sum = 0;
      let unitSum = 0;
      for (let s = 0; s < count; s++) {
        const value = updates[s]![t]!.values[i]!;
        sum += value;
        if (norms[s]! > 0) unitSum += value / norms[s]!;
      }
      const mean = sum / count;
      meanSquared += mean * mean;
      unitSumSquared += unitSum * unitSum;
      for (let s = 0; s < count; s++) dots[s]! += updates[s]![t]!.values[i]! * mean;
    }
  });
  const meanNorm = Math.sqrt(meanSquared);
  const nonZero = norms.filter((norm) => norm > 0).length;
  return {
    meanNorm,
    cosineToMean: norms.map((norm, s) => (norm > 0 && meanNorm > 0 ? clampCosine(dots[s]! / (norm * meanNorm)) : null)),
    meanPairwiseCosine: nonZero >= 2 ? clampCosine((unitSumSquared - nonZero) / (nonZero * (nonZero - 1))) : null,
  };
}
