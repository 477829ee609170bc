import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { NamedTensor, WeightSnapshot } from '../tensors/named-tensor.js';

/** Refuses snapshots whose tensor names, order or shapes differ from the first one. */
export function assertSameLayout(snapshots: readonly WeightSnapshot[]): void {
  if (snapshots.length === 0)
    throw new EmodistillError(ERROR_CODES.invalidOption, 'aggregation needs at least one update');
  const [first, ...rest] = snapshots as [WeightSnapshot, ...WeightSnapshot[]];
  rest.forEach((snapshot, i) => {
    if (snapshot.length !== first.length)
      throw new EmodistillError(
        ERROR_CODES.bundleMismatch,
        `update ${i + 1} has ${snapshot.length} tensors, expected ${first.length}`,
      );
    snapshot.forEach((tensor, t) => {
      const expected = first[t]!;
      if (tensor.name !== expected.name || tensor.shape.join() !== expected.shape.join()) {
        throw new EmodistillError(
          ERROR_CODES.bundleMismatch,
          `update ${i + 1} tensor ${t} is "${tensor.name}" [${tensor.shape.join(', ')}], expected "${expected.name}" [${expected.shape.join(', ')}]`,
        );
      }
    });
  });
}

/**
 * Builds a snapshot with the layout of `template`, each value computed from the values of all
 * snapshots at that coordinate. Inputs are never mutated.
 */
export function combineCoordinates(
  snapshots: readonly WeightSnapshot[],
  combine: (values: Float64Array) => number,
): WeightSnapshot {
  assertSameLayout(snapshots);
  const column = new Float64Array(snapshots.length);
  return snapshots[0]!.map((tensor, t): NamedTensor => {
    const values = new Float32Array(tensor.values.length);
    for (let i = 0; i < values.length; i++) {
      for (let s = 0; s < snapshots.length; s++) column[s] = snapshots[s]![t]!.values[i]!;
      values[i] = combine(column);
    }
    return { name: tensor.name, shape: [...tensor.shape], values };
  });
}
