import { EmodistillError, ERROR_CODES } from '../errors.js';
import { selectRows, type FeatureSet } from '../formats/feature-set.js';

/** EmoDB's speaker-independent protocol: each fold holds out one male and one female speaker. */
export const EMODB_FOLDS: readonly (readonly string[])[] = [
  ['03', '08'],
  ['10', '09'],
  ['11', '13'],
  ['12', '14'],
  ['15', '16'],
];

export interface SpeakerSplit {
  readonly train: FeatureSet;
  readonly test: FeatureSet;
}

/** Splits by speaker: rows of `testSpeakers` form the test set, every other row the training set. */
export function splitBySpeakers(set: FeatureSet, testSpeakers: readonly string[]): SpeakerSplit {
  const known = new Set(set.speakers);
  const missing = testSpeakers.filter((speaker) => !known.has(speaker));
  if (missing.length > 0) {
    throw new EmodistillError(ERROR_CODES.invalidOption, `test speakers ${missing.join(', ')} are not in the set (speakers: ${[...known].sort().join(', ')})`);
  }
  const held = new Set(testSpeakers);
  return {
    train: selectRows(set, (i) => !held.has(set.speakers[i]!)),
    test: selectRows(set, (i) => held.has(set.speakers[i]!)),
  };
}
