import { EmodistillError, ERROR_CODES } from '../errors.js';
import { fitStandardiser, type Standardiser } from '../stats/standardise.js';

/**
 * A site's per-dimension summary for round 0: row count, mean and (population) variance.
 * Mean and variance rather than Σx and Σx²: they travel as float32, and Σx² in float32 would
 * lose the variance of any column with a large offset.
 */
export interface FeatureMoments {
  readonly count: number;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/** Per-dimension moments of row-major features [N, dimension] (two-pass, as fitStandardiser). */
export function computeMoments(features: Float32Array, dimension: number): FeatureMoments {
  const count = features.length / dimension;
  const { mean } = fitStandardiser(features, dimension);
  const variance = new Float64Array(dimension);
  for (let i = 0; i < features.length; i++)
    variance[i % dimension]! += (features[i]! - mean[i % dimension]!) ** 2 / count;
  return { count, mean, variance: Float32Array.from(variance) };
}

/**
 * Global standardisation from every site's moments — what pooling the rows would give, without
 * pooling them (Chan et al.'s parallel variance: Σ nᵢ(σᵢ² + (μᵢ − μ)²) / N, in float64).
 */
export function combineMoments(sites: readonly FeatureMoments[]): Standardiser {
  const count = sites.reduce((total, site) => total + site.count, 0);
  const dimension = sites[0]?.mean.length ?? 0;
  if (
    !(count > 0) ||
    sites.some((site) => !(site.count >= 0) || site.mean.length !== dimension || site.variance.length !== dimension)
  ) {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `moments need a positive total count and ${dimension} dimensions at every site`,
    );
  }
  const mean = new Float32Array(dimension);
  const std = new Float32Array(dimension);
  for (let d = 0; d < dimension; d++) {
    const m = sites.reduce((total, site) => total + site.count * site.mean[d]!, 0) / count;
    const variance =
      sites.reduce((total, site) => total + site.count * (site.variance[d]! + (site.mean[d]! - m) ** 2), 0) / count;
    mean[d] = m;
    std[d] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean, std };
}
