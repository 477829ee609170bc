/**
 * Entry of a feature-extraction worker thread (run by the piscina pool of `extractFeatureSet`):
 * extracts one file with the default extractor. Failures come back as a value carrying the error's
 * code and message, since a thrown error loses its code on the way between threads.
 */
import { toEmodistillError } from '../errors.js';
import { createProsodicFunctionalsExtractor } from '../features/prosodic-functionals.js';
import { extractEntryFeatures, type EntryFeatures } from './extract-entry.js';

export interface ExtractionTask {
  readonly audioPath: string;
}

export type ExtractionReply = EntryFeatures | { readonly error: { readonly code: string; readonly message: string } };

const extractor = createProsodicFunctionalsExtractor();

export default async function extractInWorker(task: ExtractionTask): Promise<ExtractionReply> {
  try {
    return await extractEntryFeatures(task.audioPath, extractor);
  } catch (error) {
    const { code, message } = toEmodistillError(error);
    return { error: { code, message } };
  }
}
