export { ERROR_CODES, EmodistillError, toEmodistillError } from './errors.js';
export { decodeWav, readWavFile } from './audio/decode-wav.js';
export { resample } from './audio/resample.js';
export { sameFeatureSpace } from './features/feature-spec.js';
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
export { BACKEND_NAMES, COMPUTE_PATHS, selectBackend } from './backend/select-backend.js';
export { setWasmMatmulOverrides } from './backend/wasm-matmul.js';
export { createRng, shuffledIndices } from './random/rng.js';
export { createMlp } from './models/mlp.js';
export { applyStandardiser, fitStandardiser } from './evaluate/standardise.js';
export { confusionMatrix, meanAndStd, unweightedAverageRecall, weightedAccuracy } from './evaluate/metrics.js';
export { resolveClassifierConfig, trainClassifier } from './evaluate/mlp-classifier.js';
export { assertCompatible, evaluateDownstream } from './evaluate/downstream.js';
export { EMODB_FOLDS, foldsFor, parseFoldProtocol, splitBySpeakers } from './evaluate/folds.js';
export { CORESET_METHODS, selectCoreset } from './evaluate/coresets.js';
export { ABLATIONS, runDistillBenchmark } from './evaluate/distill-benchmark.js';
export { resolveDistillConfig } from './distill/config.js';
export { createDistillTrainer, distill } from './distill/train-loop.js';
export { planClassCounts, sampleFeatureSet } from './distill/sample.js';
export { DEFAULT_LATENT_RADIUS, latentOffsetOf, siteLatentPrior } from './distill/latent-prior.js';
export { createGeneratorBundle, loadGenerator } from './distill/bundle.js';
export {
  assertBundleMatches,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  GENERATOR_BUNDLE_FORMAT_VERSION,
  readGeneratorBundle,
  signGeneratorBundle,
  snapshotSha256,
  verifyGeneratorBundle,
  writeGeneratorBundle,
} from './formats/generator-bundle.js';
export { decodeSafetensors, encodeSafetensors } from './formats/safetensors.js';
export { applySnapshot, toSnapshot } from './tensors/weight-snapshot.js';
export { aggregateWeightedMean } from './aggregation/weighted-mean.js';
export { aggregateCoordinateMedian } from './aggregation/coordinate-median.js';
export { aggregateTrimmedMean } from './aggregation/trimmed-mean.js';
export { clipByGlobalNorm, globalNorm } from './aggregation/norm-clip.js';
export { combineMoments, computeMoments } from './aggregation/moments.js';
export { assertSameLayout } from './aggregation/layout.js';
export { checkMessage } from './protocol/messages.js';
export { PROTOCOL } from './protocol/transport.js';
export { readJsonFile, validateConfig } from './io/json-config.js';
export { ATTESTATION_VERSION, verifyAttestation } from './protocol/attestation.js';
export { AUTH_HEADER, REQUEST_MAX_SKEW_MS, signRequest, verifyRequest } from './protocol/request-auth.js';
export { initialGeneratorWeights } from './distill/initial-weights.js';
export { UPDATE_REJECTIONS, validateUpdate, validateUpdateHeader } from './protocol/validate-update.js';
export {
  canonicalBytes,
  encodeKey,
  generateKeyPair,
  readKeyFile,
  signBytes,
  verifyBytes,
  writeKeyFile,
} from './crypto/signing.js';

export type { ErrorCode } from './errors.js';
export type { MonoAudio } from './audio/decode-wav.js';
export type { FeatureExtractor, FeatureSpec } from './features/feature-spec.js';
export type { CorpusInfo, FeatureSet } from './formats/feature-set.js';
export type { EmodbTask } from './corpus/emodb.js';
export type { CorpusEntry, CorpusListing } from './corpus/corpus-listing.js';
export type { ManifestImportOptions } from './corpus/manifest.js';
export type { FoldersImportOptions } from './corpus/folders.js';
export type { EmbeddingsImportOptions } from './corpus/embeddings.js';
export type { ExtractFeatureSetOptions, ExtractionStats } from './corpus/extract-features.js';
export type { FeatureSetSummary, LabelCount } from './corpus/summary.js';
export type { BackendName, ComputePath } from './backend/select-backend.js';
export type { Rng } from './random/rng.js';
export type { Activation, Mlp, MlpOptions } from './models/mlp.js';
export type { Standardiser } from './evaluate/standardise.js';
export type {
  ClassifierConfig,
  ClassifierData,
  ClassifierOptions,
  TrainedClassifier,
} from './evaluate/mlp-classifier.js';
export type { DownstreamOptions, DownstreamResult, DownstreamRun } from './evaluate/downstream.js';
export type { FoldProtocol, SpeakerSplit } from './evaluate/folds.js';
export type { CoresetMethod } from './evaluate/coresets.js';
export type {
  BenchmarkRow,
  DistillBenchmarkOptions,
  DistillBenchmarkResult,
  DistillVariant,
} from './evaluate/distill-benchmark.js';
export type { DistillConfig, DistillOptions } from './distill/config.js';
export type {
  DistillProgress,
  DistillResult,
  DistillRunOptions,
  DistillTrainer,
  DistillTrainerOptions,
  StepLosses,
} from './distill/train-loop.js';
export type { GeneratorForSampling, SampleOptions, SamplePrior } from './distill/sample.js';
export type { LatentComponent, LatentPrior } from './distill/latent-prior.js';
export type { BundleSignature, GeneratorBundle, GeneratorBundleMetadata } from './formats/generator-bundle.js';
export type { GeneratorArchitecture } from './distill/initial-weights.js';
export type { NamedTensor, WeightSnapshot } from './tensors/weight-snapshot.js';
export type { FeatureMoments } from './aggregation/moments.js';
export type { KeyPair } from './crypto/signing.js';
export type {
  FederationFinished,
  RequestAuth,
  RoundAnnouncement,
  RoundFailed,
  Signed,
  SignedUpdate,
  UpdateHeader,
} from './protocol/messages.js';
export type { Attestation, AttestationBody } from './protocol/attestation.js';
export type { RequestToSign, RequestVerdict, RequestVerification } from './protocol/request-auth.js';
export type {
  Rejection,
  UpdateContext,
  UpdateHeaderContext,
  UpdateHeaderVerdict,
  UpdateRejection,
  UpdateVerdict,
} from './protocol/validate-update.js';
