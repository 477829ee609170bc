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
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `test speakers ${missing.join(', ')} are not in the set (speakers: ${[...known].sort().join(', ')})`,
    );
  }
  const held = new Set(testSpeakers);
  return {
    train: selectRows(set, (i) => !held.has(set.speakers[i]!)),
    test: selectRows(set, (i) => held.has(set.speakers[i]!)),
  };
}

/** How held-out speakers are chosen: EmoDB's fixed pairs, K speaker-grouped folds, or the corpus's sessions. */
export type FoldProtocol = 'emodb5' | 'session' | `speaker-kfold:${number}`;

export function parseFoldProtocol(value: string): FoldProtocol {
  if (value === 'emodb5' || value === 'session' || /^speaker-kfold:[1-9]\d*$/.test(value)) return value as FoldProtocol;
  throw new EmodistillError(
    ERROR_CODES.invalidOption,
    `unknown protocol "${value}"; expected emodb5, session or speaker-kfold:K (e.g. speaker-kfold:5)`,
  );
}

/**
 * Speaker-grouped K folds: speakers sorted by sex (when `sexOf` knows it) then id are dealt round
 * robin, so each fold gets a balanced mix of sexes where possible.
 */
function speakerKFolds(
  speakers: readonly string[],
  k: number,
  sexOf: (speaker: string) => string | undefined,
): string[][] {
  const unique = [...new Set(speakers)].sort(
    (a, b) => (sexOf(a) ?? '~').localeCompare(sexOf(b) ?? '~') || a.localeCompare(b, 'en', { numeric: true }),
  );
  if (k < 2 || k > unique.length)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `speaker-kfold:${k} needs 2 ≤ K ≤ ${unique.length} (the number of speakers)`,
    );
  const folds = Array.from({ length: k }, () => [] as string[]);
  unique.forEach((speaker, i) => folds[i % k]!.push(speaker));
  return folds;
}

/** The held-out speakers of each fold under `protocol`. */
export function foldsFor(
  set: FeatureSet,
  protocol: FoldProtocol,
  sexOf: (speaker: string) => string | undefined = () => undefined,
): string[][] {
  if (protocol === 'emodb5') return EMODB_FOLDS.map((fold) => [...fold]);
  if (protocol === 'session') {
    const bySession = new Map<string, Set<string>>();
    set.sessions.forEach((session, i) => {
      if (!session)
        throw new EmodistillError(
          ERROR_CODES.invalidOption,
          `protocol "session" needs a session on every row; row ${i} (${set.ids[i]}) has none — use speaker-kfold:K`,
        );
      bySession.set(session, (bySession.get(session) ?? new Set()).add(set.speakers[i]!));
    });
    return [...bySession.keys()]
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((session) => [...bySession.get(session)!].sort());
  }
  return speakerKFolds(set.speakers, Number(protocol.split(':')[1]), sexOf);
}
