/**
 * `@emodistill/core/speech`: audio decoding, feature extraction, corpus importers and the
 * feature-set file format. Loads no tfjs.
 */
export { ERROR_CODES, EmodistillError, toEmodistillError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { decodeWav, readWavFile } from './audio/decode-wav.js';
export { resample } from './audio/resample.js';
export { createProsodicFunctionalsExtractor, PROSODIC_FUNCTIONALS_PARAMS } from './features/prosodic-functionals.js';
export { FUNCTIONAL_NAMES, summarise } from './features/functionals.js';
export { labelIndices, restrictClasses, selectRows } from './formats/feature-set.js';
export {
  FEATURE_SET_FORMAT_VERSION,
  featureSetFromArrow,
  featureSetToArrow,
  readFeatureSet,
  writeFeatureSet,
} from './formats/feature-set-arrow.js';
export { EMODB_EMOTIONS, EMODB_SPEAKER_SEX, listEmodb } from './corpus/emodb.js';
export { listIemocap } from './corpus/iemocap.js';
export { listManifest } from './corpus/manifest.js';
export { listFolders } from './corpus/folders.js';
export { importEmbeddings } from './corpus/embeddings.js';
export { extractFeatureSet } from './corpus/extract-features.js';
export { summariseFeatureSet } from './corpus/summary.js';

export type { MonoAudio } from './audio/decode-wav.js';
export type { CorpusInfo, FeatureSet } from './formats/feature-set.js';
export type { EmodbTask } from './corpus/emodb.js';
export type { CorpusEntry, CorpusListing } from './corpus/corpus-listing.js';
export type { ManifestImportOptions } from './corpus/manifest.js';
export type { FoldersImportOptions } from './corpus/folders.js';
export type { EmbeddingsImportOptions } from './corpus/embeddings.js';
export type { ExtractFeatureSetOptions, ExtractionStats } from './corpus/extract-features.js';
export type { FeatureSetSummary, LabelCount } from './corpus/summary.js';
