import type { FeatureSet } from '../formats/feature-set.js';

/** Rows carrying one label value. An array, not a record: JS objects reorder keys such as "10" before "03". */
export interface LabelCount {
  readonly value: string;
  readonly utterances: number;
}

/** Counts a person reads before using a set: per emotion (in class order), speaker and session. */
export interface FeatureSetSummary {
  readonly utterances: number;
  readonly dimension: number;
  readonly classNames: readonly string[];
  readonly perEmotion: readonly LabelCount[];
  readonly perSpeaker: readonly LabelCount[];
  readonly perSession: readonly LabelCount[];
  readonly feature: {
    readonly name: string;
    readonly version: string;
    readonly params: Readonly<Record<string, number | string>>;
  };
  readonly corpus: FeatureSet['corpus'];
}

/** Counts in `order` when given (zeros included), otherwise sorted naturally (spk2 before spk10). */
function countValues(values: readonly string[], order?: readonly string[]): LabelCount[] {
  const counts = new Map<string, number>((order ?? []).map((key) => [key, 0]));
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const keys = order ?? [...counts.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return keys.map((value) => ({ value, utterances: counts.get(value)! }));
}

export function summariseFeatureSet(set: FeatureSet): FeatureSetSummary {
  return {
    utterances: set.ids.length,
    dimension: set.dimension,
    classNames: set.classNames,
    perEmotion: countValues(set.emotions, set.classNames),
    perSpeaker: countValues(set.speakers),
    perSession: countValues(set.sessions.filter((session) => session !== '')),
    feature: { name: set.spec.name, version: set.spec.version, params: set.spec.params },
    corpus: set.corpus,
  };
}
