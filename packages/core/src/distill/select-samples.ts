import { herd } from '../stats/herding.js';

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
