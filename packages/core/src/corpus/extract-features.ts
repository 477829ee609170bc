import { readWavFile } from '../audio/decode-wav.js';
import { resample } from '../audio/resample.js';
import type { FeatureExtractor } from '../features/feature-spec.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { CorpusEntry, CorpusListing } from './corpus-listing.js';

export interface ExtractFeatureSetOptions {
  /** Default: the prosodic-functionals extractor. */
  readonly extractor?: FeatureExtractor;
  readonly onProgress?: (done: number, total: number, entry: CorpusEntry) => void;
}

export interface ExtractionStats {
  readonly utterances: number;
  readonly audioSeconds: number;
  /** Wall time spent decoding, resampling and extracting. */
  readonly extractionSeconds: number;
}

/** Decodes, resamples and extracts every entry of a listing into a feature set (in listing order). */
export async function extractFeatureSet(
  listing: CorpusListing,
  options: ExtractFeatureSetOptions = {},
): Promise<{ set: FeatureSet; stats: ExtractionStats }> {
  const extractor = options.extractor ?? createProsodicFunctionalsExtractor();
  const dimension = extractor.spec.dimensionNames.length;
  const features = new Float32Array(listing.entries.length * dimension);
  const started = performance.now();
  let audioSeconds = 0;
  for (const [index, entry] of listing.entries.entries()) {
    const audio = await readWavFile(entry.audioPath);
    audioSeconds += audio.samples.length / audio.sampleRateHz;
    const samples = await resample(audio.samples, audio.sampleRateHz, extractor.sampleRateHz);
    features.set(extractor.extract(samples), index * dimension);
    options.onProgress?.(index + 1, listing.entries.length, entry);
  }
  const set: FeatureSet = {
    ids: listing.entries.map((e) => e.id),
    speakers: listing.entries.map((e) => e.speaker),
    emotions: listing.entries.map((e) => e.emotion),
    sessions: listing.entries.map((e) => e.session),
    features,
    dimension,
    classNames: listing.classNames,
    spec: extractor.spec,
    corpus: { source: listing.source, task: listing.task, createdAt: new Date().toISOString() },
  };
  return {
    set,
    stats: {
      utterances: listing.entries.length,
      audioSeconds,
      extractionSeconds: (performance.now() - started) / 1000,
    },
  };
}
