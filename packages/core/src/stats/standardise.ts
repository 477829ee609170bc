/** Per-dimension mean and standard deviation fitted on training rows only. */
export interface Standardiser {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/** Fits mean/std per dimension of row-major `features` [N, dimension]; constant dimensions get std 1. */
export function fitStandardiser(features: Float32Array, dimension: number): Standardiser {
  const rows = features.length / dimension;
  const mean = new Float64Array(dimension);
  for (let i = 0; i < features.length; i++) mean[i % dimension]! += features[i]! / rows;
  // Two passes: E[x²] − E[x]² loses precision on columns with a large offset and a small spread.
  const variance = new Float64Array(dimension);
  for (let i = 0; i < features.length; i++)
    variance[i % dimension]! += (features[i]! - mean[i % dimension]!) ** 2 / rows;
  const std = Float32Array.from(variance, (v) => (v > 1e-12 ? Math.sqrt(v) : 1));
  return { mean: Float32Array.from(mean), std };
}

/** @returns a new array (x − mean) / std */
export function applyStandardiser(features: Float32Array, standardiser: Standardiser): Float32Array {
  const dimension = standardiser.mean.length;
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const d = i % dimension;
    out[i] = (features[i]! - standardiser.mean[d]!) / standardiser.std[d]!;
  }
  return out;
}
