import { herd } from '../stats/herding.js';
import { kCenter } from '../stats/k-center.js';

export const SELECTION_METHODS = ['herding', 'k-center'] as const;
export type SelectionMethod = (typeof SELECTION_METHODS)[number];

/**
 * Oversample and select: of many generated candidates per class keep `perClass[c]`, chosen by
 * herding in an embedding (a real-trained classifier's hidden layer), so the kept points match
 * each class's candidate mean where the classifier looks, not in raw feature space.
 * @param embedding row-major [candidates, width] @param labels class of each candidate
 * @returns indices of the kept candidates, class by class
 */
export function selectByHerding(
  embedding: Float32Array,
  width: number,
  labels: Int32Array,
  perClass: readonly number[],
): Int32Array {
  return Int32Array.from(
    perClass.flatMap((count, c) => {
      const rows = [...labels.keys()].filter((row) => labels[row] === c);
      return herd(embedding, rows, Math.min(count, rows.length), width);
    }),
  );
}

/**
 * Oversample and select with either rule: herding (match the class's candidate mean) or greedy
 * k-center (cover the class's candidates; seeded start), in the embedding.
 */
export function selectCandidates(
  embedding: Float32Array,
  width: number,
  labels: Int32Array,
  perClass: readonly number[],
  method: SelectionMethod,
  seed: number,
): Int32Array {
  if (method === 'herding') return selectByHerding(embedding, width, labels, perClass);
  return Int32Array.from(
    perClass.flatMap((count, c) => {
      const rows = [...labels.keys()].filter((row) => labels[row] === c);
      return kCenter(embedding, rows, Math.min(count, rows.length), width, seed * 7919 + c);
    }),
  );
}
