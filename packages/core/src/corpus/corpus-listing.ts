import { EmodistillError, ERROR_CODES } from '../errors.js';

/** One utterance of a corpus before feature extraction. */
export interface CorpusEntry {
  readonly id: string;
  readonly audioPath: string;
  readonly emotion: string;
  readonly speaker: string;
  /** Session or recording block ('' when the corpus has none). */
  readonly session: string;
}

/** A corpus as a list of labelled audio files, ready for feature extraction. */
export interface CorpusListing {
  readonly source: string;
  readonly task: string;
  /** Label order for every model trained on the corpus. */
  readonly classNames: readonly string[];
  readonly entries: readonly CorpusEntry[];
}

/**
 * Resolves the class list: the caller's when given (every label must be in it), otherwise the
 * sorted distinct labels. `describe(i)` names entry i in errors (file, or file + row).
 */
export function resolveClassNames(
  labels: readonly string[],
  requested: readonly string[] | undefined,
  describe: (index: number) => string,
): string[] {
  if (!requested) return [...new Set(labels)].sort();
  const allowed = new Set(requested);
  const unknown = labels.findIndex((label) => !allowed.has(label));
  if (unknown >= 0) {
    throw new EmodistillError(
      ERROR_CODES.corpusLabel,
      `${describe(unknown)}: unknown emotion "${labels[unknown]}"; expected one of ${requested.join(', ')}`,
    );
  }
  return [...requested];
}

/** Refuses a corpus with no usable utterances, naming where it looked. */
export function requireEntries(entries: readonly CorpusEntry[], where: string): void {
  if (entries.length === 0)
    throw new EmodistillError(ERROR_CODES.corpusLayout, `no labelled utterances found in ${where}`);
}
