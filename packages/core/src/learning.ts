/**
 * `@emodistill/core/learning`: the tfjs part — compute backends, networks, the distillator's
 * training, sampling, classifiers and the evaluation protocols.
 */
export { ERROR_CODES, EmodistillError, toEmodistillError } from './errors.js';
export { createRng, shuffledIndices } from './random/rng.js';
export type { ErrorCode } from './errors.js';
export type { Rng } from './random/rng.js';
export { BACKEND_NAMES, COMPUTE_PATHS, selectBackend } from './backend/select-backend.js';
export { setWasmMatmulOverrides } from './backend/wasm-matmul.js';
export { createMlp } from './models/mlp.js';
export {
  confusionMatrix,
  meanAndStd,
  pairedDifference,
  unweightedAverageRecall,
  weightedAccuracy,
} from './evaluate/metrics.js';
export type { PairedDifference } from './evaluate/metrics.js';
export { resolveClassifierConfig, trainClassifier, trainClassifierOnStream } from './models/mlp-classifier.js';
export { assertCompatible, evaluateDownstream } from './evaluate/downstream.js';
export { evaluateGeneratorStream } from './evaluate/generator-stream.js';
export type { StreamOptions, StreamResult } from './evaluate/generator-stream.js';
export { EMODB_FOLDS, foldsFor, parseFoldProtocol, splitBySpeakers } from './evaluate/folds.js';
export { CORESET_METHODS, selectCoreset } from './evaluate/coresets.js';
export { ablationsOf, runDistillBenchmark } from './evaluate/distill-benchmark.js';
export { createDistillTrainer, distill, trainSteps } from './distill/train-loop.js';
export {
  SAMPLE_LABELS,
  applyLabeler,
  generateRows,
  labelerOf,
  planClassCounts,
  sampleFeatureSet,
  withLabelerProbabilities,
} from './distill/sample.js';
export { SELECTION_METHODS, selectByHerding } from './distill/select-samples.js';
export type { SelectionMethod } from './distill/select-samples.js';
export { createGeneratorNetwork } from './distill/networks.js';
export { createLabelerNetwork, trainLabeler } from './distill/labeler.js';
export { createGeneratorBundle, disposeGenerator, loadGenerator } from './distill/bundle.js';
export { applySnapshot, toSnapshot } from './models/weight-snapshot.js';

export type { BackendName, ComputePath } from './backend/select-backend.js';
export type { Activation, Mlp, MlpOptions } from './models/mlp.js';
export type {
  ClassifierConfig,
  ClassifierData,
  ClassifierOptions,
  TrainedClassifier,
} from './models/mlp-classifier.js';
export type { DownstreamOptions, DownstreamResult, DownstreamRun } from './evaluate/downstream.js';
export type { FoldProtocol, SpeakerSplit } from './evaluate/folds.js';
export type { CoresetMethod } from './evaluate/coresets.js';
export type {
  BenchmarkAblation,
  BenchmarkDifference,
  BenchmarkMethod,
  BenchmarkRow,
  DistillBenchmarkOptions,
  DistillBenchmarkResult,
} from './evaluate/distill-benchmark.js';
export type {
  DistillProgress,
  DistillResult,
  DistillRunOptions,
  DistillTrainer,
  DistillTrainerOptions,
  StepLosses,
  TrainStepsOptions,
} from './distill/train-loop.js';
export type { GeneratorForSampling, SampleLabels, SampleOptions, SamplePrior } from './distill/sample.js';
