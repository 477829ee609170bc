/** Names of the functionals that summarise a frame-level track, in output order. */
export const FUNCTIONAL_NAMES = ['mean', 'std', 'p20', 'p50', 'p80', 'slope'] as const;

/** Linear-interpolated percentile of sorted values, q in [0, 1] (numpy's default method). */
export function percentileOfSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/**
 * mean, std (population), 20th/50th/80th percentile and the least-squares slope per second.
 * Empty input gives zeros so silent or unvoiced utterances stay finite.
 * @param values track values; @param timesSec the time of each value
 */
export function summarise(values: ArrayLike<number>, timesSec: ArrayLike<number>): number[] {
  const n = values.length;
  if (n === 0) return FUNCTIONAL_NAMES.map(() => 0);
  let mean = 0;
  let meanTime = 0;
  for (let i = 0; i < n; i++) {
    mean += values[i]!;
    meanTime += timesSec[i]!;
  }
  mean /= n;
  meanTime /= n;
  let variance = 0;
  let covariance = 0;
  let timeVariance = 0;
  for (let i = 0; i < n; i++) {
    const dv = values[i]! - mean;
    const dt = timesSec[i]! - meanTime;
    variance += dv * dv;
    covariance += dv * dt;
    timeVariance += dt * dt;
  }
  const sorted = Float64Array.from(values).sort();
  return [
    mean,
    Math.sqrt(variance / n),
    percentileOfSorted(sorted, 0.2),
    percentileOfSorted(sorted, 0.5),
    percentileOfSorted(sorted, 0.8),
    timeVariance > 0 ? covariance / timeVariance : 0,
  ];
}

/** Mean of |x| and population std: the functionals used for delta (rate-of-change) tracks. */
export function summariseDelta(values: ArrayLike<number>): [number, number] {
  const n = values.length;
  if (n === 0) return [0, 0];
  let meanAbs = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    meanAbs += Math.abs(values[i]!);
    mean += values[i]!;
  }
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (values[i]! - mean) ** 2;
  return [meanAbs / n, Math.sqrt(variance / n)];
}
