import {
  buildInitialBundle,
  decodeSafetensors,
  planRound,
  PROTOCOL,
  sameFeatureSpace,
  type FeatureSpec,
  type GeneratorArchitecture,
  type GeneratorBundle,
  type WeightSnapshot,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import type { CoordinatorStore } from '../store/store.js';
import { federationSampling, type TensorLayout } from './global-model.js';

/**
 * The statistics round (round 0): each site sends its feature moments and what its features are;
 * the coordinator checks them against the federation's classes and feature space and combines them
 * into the first global version (standardiser, initial weights, the sites' latent regions).
 */

const SITE_STATISTICS_KEY = PROTOCOL.siteStatisticsKey;
const MOMENT_TENSORS = { mean: PROTOCOL.momentMeanTensor, variance: PROTOCOL.momentVarianceTensor };
/** Far beyond any feature's scale, and small enough that the combined standardiser stays finite in float32. */
const MAX_MOMENT_MEAN = 1e18;

/** What a site says about its data in a statistics payload's metadata. */
export interface StatisticsMetadata {
  readonly classNames: readonly string[];
  readonly featureSpec: FeatureSpec;
  readonly speakers: number;
}

/** The first accepted statistics of a round (by site id): every later one must share its feature space. */
export interface FirstStatistics {
  readonly siteId: string;
  readonly featureSpec: FeatureSpec;
}

/** What the federation expects of every site's statistics. */
export interface StatisticsExpectations {
  readonly classNames: readonly string[];
  readonly featureDimension: number;
}

/** One accepted statistics update: its signed count and its decoded payload. */
export interface StatisticsUpdate {
  readonly siteId: string;
  readonly numExamples: number;
  readonly payload: { readonly tensors: WeightSnapshot; readonly metadata: Readonly<Record<string, string>> };
}

export function parseStatistics(metadata: Readonly<Record<string, string>>): StatisticsMetadata | undefined {
  try {
    const parsed = JSON.parse(metadata[SITE_STATISTICS_KEY] ?? '') as Partial<StatisticsMetadata>;
    const spec = parsed.featureSpec;
    if (
      !Array.isArray(parsed.classNames) ||
      !spec ||
      typeof spec.name !== 'string' ||
      typeof spec.version !== 'string' ||
      !Array.isArray(spec.dimensionNames)
    )
      return undefined;
    return { classNames: parsed.classNames, featureSpec: spec, speakers: Number(parsed.speakers ?? 0) };
  } catch {
    return undefined;
  }
}

/** Tensor names and shapes of a statistics update: the per-dimension mean and variance. */
export function statisticsLayout(featureDimension: number): TensorLayout {
  return [
    { name: MOMENT_TENSORS.mean, shape: [featureDimension] },
    { name: MOMENT_TENSORS.variance, shape: [featureDimension] },
  ];
}

/** The feature space of the round's first accepted statistics (by site id), read from the store. */
export function firstStatistics(
  store: Pick<CoordinatorStore, 'updatesOf' | 'payloadOf'>,
  round: number,
): FirstStatistics | undefined {
  const first = store.updatesOf(round)[0];
  if (!first) return undefined;
  const { metadata } = decodeSafetensors(store.payloadOf(round, first.siteId), 'first statistics');
  return { siteId: first.siteId, featureSpec: parseStatistics(metadata)!.featureSpec };
}

/**
 * Why a statistics payload (its metadata and moment tensors) is unacceptable, or undefined.
 * @param first the round's first accepted statistics, looked up only when the payload is otherwise sound
 */
export function checkStatistics(
  expected: StatisticsExpectations,
  first: () => FirstStatistics | undefined,
  metadata: Readonly<Record<string, string>>,
  tensors: WeightSnapshot,
): string | undefined {
  const values = (name: string): Float32Array => tensors.find((t) => t.name === name)?.values ?? new Float32Array();
  const badMean = values(MOMENT_TENSORS.mean).findIndex((m) => !(Math.abs(m) <= MAX_MOMENT_MEAN));
  if (badMean >= 0) return `mean of dimension ${badMean} is not finite or beyond ±${MAX_MOMENT_MEAN}`;
  const badVariance = values(MOMENT_TENSORS.variance).findIndex((v) => !(v >= 0 && v <= MAX_MOMENT_MEAN ** 2));
  if (badVariance >= 0)
    return `variance of dimension ${badVariance} is negative, not finite or beyond ${MAX_MOMENT_MEAN ** 2}`;
  const statistics = parseStatistics(metadata);
  if (!statistics) return `payload metadata "${SITE_STATISTICS_KEY}" is missing or malformed`;
  const classNames = expected.classNames;
  if (statistics.classNames.join('\u0000') !== classNames.join('\u0000'))
    return `site classes [${statistics.classNames.join(', ')}] differ from the federation's [${classNames.join(', ')}]`;
  if (statistics.featureSpec.dimensionNames.length !== expected.featureDimension)
    return `site features have ${statistics.featureSpec.dimensionNames.length} dimensions, the federation ${expected.featureDimension}`;
  const earlier = first();
  if (earlier && !sameFeatureSpace(earlier.featureSpec, statistics.featureSpec))
    return `site features are ${statistics.featureSpec.name} v${statistics.featureSpec.version}, site "${earlier.siteId}" sent ${earlier.featureSpec.name} v${earlier.featureSpec.version}`;
  return undefined;
}

/** The first global version, from the round's accepted statistics (formats/federated-bundle.ts in core). */
export function statisticsBundle(options: {
  readonly updates: readonly StatisticsUpdate[];
  readonly config: CoordinatorConfig;
  readonly architecture: GeneratorArchitecture;
  readonly strategy: string;
  readonly createdAt: string;
}): GeneratorBundle {
  const { updates, config } = options;
  const tensor = (update: StatisticsUpdate, name: string): Float32Array =>
    update.payload.tensors.find((t) => t.name === name)!.values;
  return buildInitialBundle({
    sites: updates.map((u) => {
      const { featureSpec, speakers } = parseStatistics(u.payload.metadata)!;
      return {
        siteId: u.siteId,
        numExamples: u.numExamples,
        mean: tensor(u, MOMENT_TENSORS.mean),
        variance: tensor(u, MOMENT_TENSORS.variance),
        featureSpec,
        speakers,
      };
    }),
    architecture: options.architecture,
    classNames: config.model.classNames,
    seed: config.model.seed,
    latentRadius: config.training.latentRadius,
    trainingConfig: {
      method: config.training.method,
      localSteps: config.training.localSteps,
      ...planRound(config.training, 0).distill,
    },
    strategy: options.strategy,
    sampling: federationSampling(config),
    // As ever: the first version names round 0, even when a failed round 0 made a later round gather the statistics.
    statisticsRound: 0,
    createdAt: options.createdAt,
  });
}
