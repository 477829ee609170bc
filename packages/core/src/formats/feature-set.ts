import type { FeatureSpec } from '../features/feature-spec.js';

/** Where a feature set came from (stored in the file's metadata). */
export interface CorpusInfo {
  /** Importer that made it: emodb, iemocap, manifest, folders, embeddings, or a derived set (synthetic, split). */
  readonly source: string;
  /** Task the labels follow, e.g. `7class`, `4class`, or `custom`. */
  readonly task: string;
  readonly createdAt: string;
}

/**
 * Utterance-level features with labels: N rows of `dimension` float32 values, row-major.
 * `classNames` fixes the label order used by every model trained on the set.
 */
export interface FeatureSet {
  readonly ids: readonly string[];
  readonly speakers: readonly string[];
  readonly emotions: readonly string[];
  /** Session or recording block per row ('' when the corpus has none). */
  readonly sessions: readonly string[];
  readonly features: Float32Array;
  readonly dimension: number;
  readonly classNames: readonly string[];
  readonly spec: FeatureSpec;
  readonly corpus: CorpusInfo;
  /**
   * Soft labels: class probabilities per row, row-major [N, classNames.length] (synthetic sets
   * sampled with `--labels soft`); a classifier trains on them instead of the one-hot emotions.
   */
  readonly probabilities?: Float32Array;
}

/** Rows of `set` whose index passes `keep`, with the same metadata (class names unchanged). */
export function selectRows(set: FeatureSet, keep: (index: number) => boolean): FeatureSet {
  const indices = set.ids.map((_, i) => i).filter(keep);
  const features = new Float32Array(indices.length * set.dimension);
  indices.forEach((row, i) =>
    features.set(set.features.subarray(row * set.dimension, (row + 1) * set.dimension), i * set.dimension),
  );
  const classCount = set.classNames.length;
  const probabilities = set.probabilities;
  return {
    ...set,
    ids: indices.map((i) => set.ids[i]!),
    speakers: indices.map((i) => set.speakers[i]!),
    emotions: indices.map((i) => set.emotions[i]!),
    sessions: indices.map((i) => set.sessions[i]!),
    features,
    ...(probabilities && {
      probabilities: Float32Array.from(
        indices.flatMap((row) => [...probabilities.subarray(row * classCount, (row + 1) * classCount)]),
      ),
    }),
  };
}

/** Label index of every row in `set.classNames` order. */
export function labelIndices(set: FeatureSet): Int32Array {
  const index = new Map(set.classNames.map((name, i) => [name, i]));
  return Int32Array.from(set.emotions, (emotion) => index.get(emotion)!);
}

/** Keeps only rows of the given classes, which become the class list (in the given order). */
export function restrictClasses(set: FeatureSet, classNames: readonly string[]): FeatureSet {
  const keep = new Set(classNames);
  // Probabilities over the old classes mean nothing over the new ones: the subset gets hard labels.
  const { probabilities: _dropped, ...subset } = selectRows(set, (i) => keep.has(set.emotions[i]!));
  return { ...subset, classNames: [...classNames] };
}
