/** Per-dimension mean and standard deviation fitted on training rows only. */
export interface Standardiser {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/** Fits mean/std per dimension of row-major `features` [N, dimension]; constant dimensions get std 1. */
export function fitStandardiser(features: Float32Array, dimension: number): Standardiser {
  const rows = features.length / dimension;
  const mean = new Float64Array(dimension);
  const squares = new Float64Array(dimension);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dimension; d++) {
      const value = features[r * dimension + d]!;
      mean[d]! += value;
      squares[d]! += value * value;
    }
  }
  const std = new Float32Array(dimension);
  for (let d = 0; d < dimension; d++) {
    mean[d]! /= rows;
    const variance = squares[d]! / rows - mean[d]! ** 2;
    std[d] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
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
