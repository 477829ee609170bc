import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';

/** Euclidean norm over every value of every tensor. */
export function globalNorm(snapshot: WeightSnapshot): number {
  let sum = 0;
  for (const tensor of snapshot) for (const value of tensor.values) sum += value * value;
  return Math.sqrt(sum);
}

/** Scales an update down to `maxNorm` when its global norm exceeds it (a new snapshot; input untouched). */
export function clipByGlobalNorm(snapshot: WeightSnapshot, maxNorm: number): WeightSnapshot {
  if (!(maxNorm > 0)) throw new EmodistillError(ERROR_CODES.invalidOption, `clipping norm must be > 0, got ${maxNorm}`);
  const norm = globalNorm(snapshot);
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return snapshot.map((tensor) => ({
    name: tensor.name,
    shape: [...tensor.shape],
    values: Float32Array.from(tensor.values, (v) => v * scale),
  }));
}
