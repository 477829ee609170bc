import { combineMoments } from '../aggregation/moments.js';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { sameFeatureSpace, type FeatureSpec } from '../features/feature-spec.js';
import { initialGeneratorWeights, type GeneratorArchitecture } from '../generator/initial-weights.js';
import { siteLatentPrior } from '../generator/latent-prior.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import type { GeneratorBundle, SamplingDefaults, SitePrivacy } from './generator-bundle.js';

/**
 * The global generator bundles of a federation, as pure functions of what the coordinator holds:
 * the first (from the sites' statistics round) and each next one (a base version plus a round's
 * aggregated update). No tfjs, no files, no clock: the caller passes the time.
 */

const TOOL = 'emodistill 0.1.0';

/** One site's contribution to the statistics round: its moments and what its features are. */
export interface SiteStatistics {
  readonly siteId: string;
  /** Rows the moments summarise (the update's signed numExamples). */
  readonly numExamples: number;
  readonly mean: Float32Array;
  /** Population variance per dimension. */
  readonly variance: Float32Array;
  readonly featureSpec: FeatureSpec;
  readonly speakers: number;
}

export interface InitialBundleOptions {
  /** Every site of the statistics round, in the order the version names them. */
  readonly sites: readonly SiteStatistics[];
  readonly architecture: GeneratorArchitecture;
  readonly classNames: readonly string[];
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Distance of each site's latent region from the origin; 0: no regions (all sites share N(0, I)). */
  readonly latentRadius: number;
  /** The training settings the federation runs with, recorded as the bundle's trainingConfig. */
  readonly trainingConfig: Readonly<Record<string, unknown>>;
  /** The aggregation strategy's id. */
  readonly strategy: string;
  /** The federation's method's sampling, the bundle's default for `sample`; absent: hard labels, every draw kept. */
  readonly sampling?: SamplingDefaults;
  /** The round that gathered the statistics. */
  readonly statisticsRound: number;
  /** ISO-8601. */
  readonly createdAt: string;
}

export interface AggregatedBundleOptions {
  /** The version the round trained from; its provenance must carry `federation`. */
  readonly base: GeneratorBundle;
  /** The round's aggregated update: one tensor per base weight, in the order the new bundle keeps them. */
  readonly delta: WeightSnapshot;
  readonly round: number;
  /** Sites whose updates were aggregated. */
  readonly sites: readonly string[];
  /** Generator steps each site trained in the round. */
  readonly steps: number;
  /** ISO-8601. */
  readonly createdAt: string;
  /** What each site of the round reported of its DP spending (from its update's metrics). */
  readonly sitePrivacy?: Readonly<Record<string, SitePrivacy>>;
}

const invalid = (message: string): EmodistillError => new EmodistillError(ERROR_CODES.invalidOption, message);

/**
 * The first global version: the sites' moments combined into the federation's standardiser,
 * seeded initial weights, and (with a radius) one latent region per site.
 */
export function buildInitialBundle(options: InitialBundleOptions): GeneratorBundle {
  const { sites, architecture, classNames } = options;
  const first = sites[0];
  if (!first) throw invalid('an initial federated bundle needs the statistics of at least one site');
  if (architecture.classCount !== classNames.length)
    throw invalid(`the generator conditions on ${architecture.classCount} classes, but ${classNames.length} are named`);
  if (first.featureSpec.dimensionNames.length !== architecture.outputDimension)
    throw invalid(
      `site "${first.siteId}" has ${first.featureSpec.dimensionNames.length} feature dimensions, the generator outputs ${architecture.outputDimension}`,
    );
  const stranger = sites.find((site) => !sameFeatureSpace(site.featureSpec, first.featureSpec));
  if (stranger)
    throw invalid(
      `site "${stranger.siteId}" has ${stranger.featureSpec.name} v${stranger.featureSpec.version} features, site "${first.siteId}" ${first.featureSpec.name} v${first.featureSpec.version}`,
    );
  const standardiser = combineMoments(sites.map((s) => ({ count: s.numExamples, mean: s.mean, variance: s.variance })));
  return {
    metadata: {
      formatVersion: '1',
      architecture: {
        kind: 'conditional-mlp-generator',
        noiseDimension: architecture.noiseDimension,
        hiddenUnits: [...architecture.hiddenUnits],
        activation: 'leakyRelu',
        outputDimension: architecture.outputDimension,
        conditioning: 'concat-one-hot',
      },
      classNames: [...classNames],
      featureSpec: first.featureSpec,
      trainingConfig: options.trainingConfig,
      provenance: {
        createdAt: options.createdAt,
        tool: TOOL,
        trainingRows: sites.reduce((sum, s) => sum + s.numExamples, 0),
        trainingSpeakers: sites.reduce((sum, s) => sum + s.speakers, 0),
        corpusSource: 'federated',
        steps: 0,
        seconds: 0,
        backend: 'federated',
        federation: {
          strategy: options.strategy,
          trainingRounds: 0,
          sites: sites.map((s) => s.siteId),
          statisticsRound: options.statisticsRound,
        },
      },
      ...(options.sampling && { sampling: { ...options.sampling } }),
      ...(options.latentRadius > 0 && {
        // Sorted so the regions do not depend on the order the sites' statistics arrived in.
        latentPrior: siteLatentPrior(
          [...sites]
            .sort((a, b) => (a.siteId < b.siteId ? -1 : 1))
            .map((s) => ({ name: s.siteId, numExamples: s.numExamples })),
          architecture.noiseDimension,
          options.latentRadius,
        ),
      }),
    },
    weights: initialGeneratorWeights(architecture, options.seed),
    standardiser,
  };
}

/**
 * The next global version: the base version's weights plus the round's aggregated update, and
 * its provenance brought up to date (one more training round, its sites, its steps).
 */
export function buildAggregatedBundle(options: AggregatedBundleOptions): GeneratorBundle {
  const { base, delta } = options;
  const previous = base.metadata.provenance;
  const federation = previous.federation;
  if (!federation) throw invalid('the base bundle is not a federated one (its provenance has no "federation")');
  if (delta.length !== base.weights.length)
    throw invalid(`the update has ${delta.length} tensors, the base generator ${base.weights.length}`);
  const weights = delta.map((step) => {
    const tensor = base.weights.find((t) => t.name === step.name);
    if (!tensor || tensor.shape.join() !== step.shape.join())
      throw invalid(
        `update tensor "${step.name}" [${step.shape.join(', ')}] is not a weight of the base generator${tensor ? ` (which is [${tensor.shape.join(', ')}])` : ''}`,
      );
    return {
      name: tensor.name,
      shape: [...tensor.shape],
      values: Float32Array.from(tensor.values, (v, i) => v + step.values[i]!),
    };
  });
  return {
    ...base,
    metadata: {
      ...base.metadata,
      provenance: {
        ...previous,
        createdAt: options.createdAt,
        steps: previous.steps + options.steps,
        federation: {
          ...federation,
          trainingRounds: federation.trainingRounds + 1,
          sites: [...new Set([...federation.sites, ...options.sites])].sort(),
          lastRound: options.round,
          ...(options.sitePrivacy && {
            sitePrivacy: mergeSitePrivacy(federation.sitePrivacy ?? {}, options.sitePrivacy),
          }),
        },
      },
    },
    weights,
  };
}

/**
 * A site's latest report replaces its earlier one (sites report their cumulative ε), except that a
 * round trained without DP (null) leaves the site without a guarantee for good.
 */
function mergeSitePrivacy(
  previous: Readonly<Record<string, SitePrivacy>>,
  round: Readonly<Record<string, SitePrivacy>>,
): Record<string, SitePrivacy> {
  const merged: Record<string, SitePrivacy> = { ...previous };
  for (const [site, report] of Object.entries(round))
    merged[site] = previous[site]?.epsilonUtterance === null ? previous[site] : report;
  return merged;
}

/** A site's DP spending from its update's metrics (epsilonUtterance, epsilonSpeaker, dpDelta); null figures without them. */
export function sitePrivacyOf(metrics: Readonly<Record<string, number>>): SitePrivacy {
  return metrics.epsilonUtterance === undefined
    ? { epsilonUtterance: null, epsilonSpeaker: null, delta: null }
    : {
        epsilonUtterance: metrics.epsilonUtterance,
        epsilonSpeaker: metrics.epsilonSpeaker ?? null,
        delta: metrics.dpDelta ?? null,
      };
}

/**
 * Why a federated generator is not within `maxEpsilon` per utterance: one line per training site
 * that reported a larger ε, trained a round without DP, or reported nothing. Empty: within budget.
 */
export function privacyBudgetBreaches(bundle: GeneratorBundle, maxEpsilon: number): string[] {
  const federation = bundle.metadata.provenance.federation;
  if (!federation) return ['the generator is not a federated one: its provenance names no training sites'];
  return federation.sites.flatMap((site) => {
    const report = federation.sitePrivacy?.[site];
    if (!report) return [`${site} reported no DP spending`];
    if (report.epsilonUtterance === null) return [`${site} trained a round without differential privacy`];
    return report.epsilonUtterance > maxEpsilon
      ? [
          `${site} spent ε = ${report.epsilonUtterance.toFixed(2)} per utterance (δ = ${report.delta}), above ${maxEpsilon}`,
        ]
      : [];
  });
}
