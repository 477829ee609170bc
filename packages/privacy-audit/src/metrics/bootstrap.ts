import { createRng } from '@emodistill/core';

/** A statistic with its percentile bootstrap confidence interval. */
export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** Confidence level of [low, high], e.g. 0.95. */
  readonly level: number;
}

export interface BootstrapOptions {
  /** Default 1000. */
  readonly resamples?: number;
  /** Default 0.95. */
  readonly level?: number;
  readonly seed?: number;
}

/**
 * Percentile bootstrap (Efron): resample the `units` (e.g. speakers) with replacement, recompute
 * the statistic, take the central `level` interval. Resamples where the statistic is undefined
 * (NaN, e.g. one class missing) are skipped.
 * @param statistic computed on a list of unit indices (with repeats)
 */
export function bootstrap(
  unitCount: number,
  statistic: (units: readonly number[]) => number,
  options: BootstrapOptions = {},
): Estimate {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const rng = createRng(options.seed ?? 0);
  const all = Array.from({ length: unitCount }, (_, i) => i);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const value = statistic(all.map(() => Math.floor(rng.next() * unitCount)));
    if (Number.isFinite(value)) values.push(value);
  }
  values.sort((a, b) => a - b);
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.max(0, Math.floor(q * values.length)))] ?? Number.NaN;
  return { value: statistic(all), low: at((1 - level) / 2), high: at(1 - (1 - level) / 2), level };
}
