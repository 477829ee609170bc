import { createMlp, type Mlp } from '../models/mlp.js';
import { trainClassifier, type ClassifierData } from '../models/mlp-classifier.js';
import { toSnapshot } from '../models/weight-snapshot.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';

/** Variable-name prefix of the labeler's tensors in a bundle. */
export const LABELER_NAME = 'labeler';

/**
 * Trains a labeler (see DistillConfig.labelerHiddenUnits) on standardised real rows with the
 * downstream classifier's recipe. @returns its weights, named `labeler/…`
 */
export function trainLabeler(data: ClassifierData, hiddenUnits: readonly number[], seed: number): WeightSnapshot {
  const labeler = trainClassifier(data, { hiddenUnits, seed, name: LABELER_NAME });
  try {
    return toSnapshot(labeler.network);
  } finally {
    labeler.dispose();
  }
}

/** An untrained labeler network of this shape (to load weights into); the caller disposes it. */
export function createLabelerNetwork(dimension: number, classCount: number, hiddenUnits: readonly number[]): Mlp {
  return createMlp({
    inputDimension: dimension,
    hiddenUnits,
    outputDimension: classCount,
    activation: 'relu',
    seed: 0,
    name: LABELER_NAME,
  });
}
