import type { Rows } from './distances.js';

/** Leading principal directions by power iteration with deflation (deterministic start). */
function principalAxes(rows: Rows, count: number, iterations = 100): Float64Array[] {
  const { values, dimension } = rows;
  const n = values.length / dimension;
  const mean = new Float64Array(dimension);
  for (let i = 0; i < values.length; i++) mean[i % dimension]! += values[i]! / n;
  const axes: Float64Array[] = [];
  for (let a = 0; a < count; a++) {
    let v = Float64Array.from({ length: dimension }, (_, d) => 1 + ((d * 7 + a * 13) % 5) / 10);
    for (let it = 0; it < iterations; it++) {
      // w = Xcᵀ (Xc v), then remove earlier axes and normalise.
      const w = new Float64Array(dimension);
      for (let r = 0; r < n; r++) {
        let dot = 0;
        for (let d = 0; d < dimension; d++) dot += (values[r * dimension + d]! - mean[d]!) * v[d]!;
        for (let d = 0; d < dimension; d++) w[d]! += dot * (values[r * dimension + d]! - mean[d]!);
      }
      for (const axis of axes) {
        let dot = 0;
        for (let d = 0; d < dimension; d++) dot += w[d]! * axis[d]!;
        for (let d = 0; d < dimension; d++) w[d]! -= dot * axis[d]!;
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    axes.push(v);
  }
  return axes;
}

/**
 * 2-D PCA projection fitted on `fit` (the real data) and applied to each of `sets`, for the
 * report's real-vs-synthetic scatter plots. @returns [x, y] per row of each set
 */
export function projectTo2d(fit: Rows, sets: readonly Rows[]): [number, number][][] {
  const axes = principalAxes(fit, 2);
  const { dimension } = fit;
  const n = fit.values.length / dimension;
  const mean = new Float64Array(dimension);
  for (let i = 0; i < fit.values.length; i++) mean[i % dimension]! += fit.values[i]! / n;
  return sets.map((set) =>
    Array.from({ length: set.values.length / dimension }, (_, r) => {
      const coordinate = (axis: Float64Array): number => {
        let sum = 0;
        for (let d = 0; d < dimension; d++) sum += (set.values[r * dimension + d]! - mean[d]!) * axis[d]!;
        return sum;
      };
      return [coordinate(axes[0]!), coordinate(axes[1]!)] as [number, number];
    }),
  );
}
