import type { FeatureSet } from '../formats/feature-set.js';

/** Counts a person reads before using a set: per emotion (in class order), speaker and session. */
export interface FeatureSetSummary {
  readonly utterances: number;
  readonly dimension: number;
  readonly classNames: readonly string[];
  readonly perEmotion: Readonly<Record<string, number>>;
  readonly perSpeaker: Readonly<Record<string, number>>;
  readonly perSession: Readonly<Record<string, number>>;
  readonly feature: { readonly name: string; readonly version: string; readonly params: Readonly<Record<string, number | string>> };
  readonly corpus: FeatureSet['corpus'];
}

function countValues(values: readonly string[], order?: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries((order ?? []).map((key) => [key, 0]));
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return order ? counts : Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
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
