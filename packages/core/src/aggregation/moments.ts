import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { Standardiser } from '../evaluate/standardise.js';

/** A site's per-dimension sufficient statistics: count, Σx and Σx² (float64). */
export interface FeatureMoments {
  readonly count: number;
  readonly sum: Float64Array;
  readonly sumOfSquares: Float64Array;
}

/** Per-dimension moments of row-major features [N, dimension], for round 0 of federation. */
export function computeMoments(features: Float32Array, dimension: number): FeatureMoments {
  const sum = new Float64Array(dimension);
  const sumOfSquares = new Float64Array(dimension);
  for (let i = 0; i < features.length; i++) {
    sum[i % dimension]! += features[i]!;
    sumOfSquares[i % dimension]! += features[i]! ** 2;
  }
  return { count: features.length / dimension, sum, sumOfSquares };
}

/** Global standardisation from every site's moments: what pooling the data would give, without pooling it. */
export function combineMoments(sites: readonly FeatureMoments[]): Standardiser {
  const count = sites.reduce((total, site) => total + site.count, 0);
  const dimension = sites[0]?.sum.length ?? 0;
  if (count === 0 || sites.some((site) => site.sum.length !== dimension || site.sumOfSquares.length !== dimension)) {
    throw new EmodistillError(ERROR_CODES.invalidOption, `moments need a positive total count and ${dimension} dimensions at every site`);
  }
  const mean = new Float32Array(dimension);
  const std = new Float32Array(dimension);
  for (let d = 0; d < dimension; d++) {
    const m = sites.reduce((total, site) => total + site.sum[d]!, 0) / count;
    const variance = sites.reduce((total, site) => total + site.sumOfSquares[d]!, 0) / count - m * m;
    mean[d] = m;
    std[d] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean, std };
}
