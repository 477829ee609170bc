import { readWavFile } from '../audio/decode-wav.js';
import { resample } from '../audio/resample.js';
import type { FeatureExtractor } from '../features/feature-spec.js';

/** The features of one utterance and the length of its audio. */
export interface EntryFeatures {
  /** One vector of `extractor.spec.dimensionNames.length` values. */
  readonly features: Float32Array;
  /** Duration of the decoded audio at its own rate, in seconds. */
  readonly audioSeconds: number;
}

/**
 * Decodes, resamples and extracts one WAV file: a pure function of the file's bytes, run in-process
 * or in an extraction worker with the same result. Errors name the file.
 */
export async function extractEntryFeatures(audioPath: string, extractor: FeatureExtractor): Promise<EntryFeatures> {
  const audio = await readWavFile(audioPath);
  const samples = await resample(audio.samples, audio.sampleRateHz, extractor.sampleRateHz);
  return { features: extractor.extract(samples), audioSeconds: audio.samples.length / audio.sampleRateHz };
}
