import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { FeatureExtractor } from '../features/feature-spec.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { CorpusEntry, CorpusListing } from './corpus-listing.js';
import { extractEntryFeatures } from './extract-entry.js';
import { extractInWorkers, type OnExtracted } from './extraction-pool.js';

export interface ExtractFeatureSetOptions {
  /** Default: the prosodic-functionals extractor. A custom extractor runs in-process only (`workers` 1). */
  readonly extractor?: FeatureExtractor;
  /**
   * Worker threads extracting files in parallel (default 1: in-process, no worker is started).
   * The feature set is the same for any count: rows in listing order, the same bytes.
   */
  readonly workers?: number;
  /** Called once per extracted file, in completion order (listing order when `workers` is 1). */
  readonly onProgress?: (done: number, total: number, entry: CorpusEntry) => void;
}

export interface ExtractionStats {
  readonly utterances: number;
  readonly audioSeconds: number;
  /** Wall time spent decoding, resampling and extracting. */
  readonly extractionSeconds: number;
}

function invalidWorkers(workers: number, reason: string): EmodistillError {
  return new EmodistillError(ERROR_CODES.invalidOption, `workers ${workers}: ${reason}`);
}

/**
 * Decodes, resamples and extracts every entry of a listing into a feature set (in listing order),
 * in-process or in `workers` worker threads. A failing file fails the whole set with that file's
 * error; when several fail, the first in listing order is reported, whatever the worker count.
 */
export async function extractFeatureSet(
  listing: CorpusListing,
  options: ExtractFeatureSetOptions = {},
): Promise<{ set: FeatureSet; stats: ExtractionStats }> {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw invalidWorkers(workers, 'expected an integer ≥ 1');
  if (options.extractor && workers > 1)
    throw invalidWorkers(
      workers,
      'a custom extractor runs in-process only; pass workers: 1 or leave out the extractor',
    );
  const extractor = options.extractor ?? createProsodicFunctionalsExtractor();
  const dimension = extractor.spec.dimensionNames.length;
  const { entries } = listing;
  const features = new Float32Array(entries.length * dimension);
  // Per-file durations, summed in listing order at the end so the total does not depend on timing.
  const seconds = new Float64Array(entries.length);
  const started = performance.now();
  let done = 0;
  const onExtracted: OnExtracted = (index, result) => {
    features.set(result.features, index * dimension);
    seconds[index] = result.audioSeconds;
    done += 1;
    options.onProgress?.(done, entries.length, entries[index]!);
  };
  if (workers === 1 || entries.length <= 1) {
    for (const [index, entry] of entries.entries())
      onExtracted(index, await extractEntryFeatures(entry.audioPath, extractor));
  } else {
    await extractInWorkers(entries, Math.min(workers, entries.length), onExtracted);
  }
  const set: FeatureSet = {
    ids: entries.map((e) => e.id),
    speakers: entries.map((e) => e.speaker),
    emotions: entries.map((e) => e.emotion),
    sessions: entries.map((e) => e.session),
    features,
    dimension,
    classNames: listing.classNames,
    spec: extractor.spec,
    corpus: { source: listing.source, task: listing.task, createdAt: new Date().toISOString() },
  };
  return {
    set,
    stats: {
      utterances: entries.length,
      audioSeconds: seconds.reduce((sum, s) => sum + s, 0),
      extractionSeconds: (performance.now() - started) / 1000,
    },
  };
}
