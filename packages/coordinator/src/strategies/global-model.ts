import {
  buildAggregatedBundle,
  sitePrivacyOf,
  decodeGeneratorBundle,
  initialGeneratorWeights,
  methodPreset,
  type GeneratorArchitecture,
  type GeneratorBundle,
  type SamplingDefaults,
  type WeightSnapshot,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import type { SiteDelta } from '../strategies/registry.js';

/** Tensor names and shapes, in order: what an update of a round must hold. */
export type TensorLayout = readonly { readonly name: string; readonly shape: readonly number[] }[];

/** The generator every site trains, as the coordinator's config describes it. */
export function generatorArchitecture(model: CoordinatorConfig['model']): GeneratorArchitecture {
  return {
    noiseDimension: model.noiseDimension,
    hiddenUnits: model.hiddenUnits,
    classCount: model.classNames.length,
    outputDimension: model.featureDimension,
  };
}

/** How the federation's bundle samples by default: its method's way. */
export function federationSampling(config: Pick<CoordinatorConfig, 'training'>): SamplingDefaults {
  return methodPreset(config.training.method).sampling;
}

/** Tensor names and shapes of the generator's weights (and so of a training update), in the network's order. */
export function generatorLayout(architecture: GeneratorArchitecture): TensorLayout {
  return initialGeneratorWeights(architecture, 0).map((t) => ({ name: t.name, shape: [...t.shape] }));
}

/** A snapshot's tensors in the layout's order (an update may list them in any order; its names and shapes were checked). */
export function inLayout(layout: TensorLayout, tensors: WeightSnapshot): WeightSnapshot {
  return layout.map((l) => tensors.find((t) => t.name === l.name)!);
}

/** One accepted training update: its signed count and its decoded delta tensors. */
export interface TrainingUpdate {
  readonly siteId: string;
  readonly numExamples: number;
  readonly tensors: WeightSnapshot;
  /** The metrics the site signed into its update (its DP spending among them, when it trains privately). */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The next global version after a training round: the strategy aggregates the sites' deltas (in
 * the generator's layout), core's buildAggregatedBundle adds them to the base version's weights.
 */
export function nextGlobalModel(options: {
  /** The base version's bundle file. */
  readonly baseBytes: Uint8Array | undefined;
  readonly baseVersion: number;
  readonly round: number;
  readonly layout: TensorLayout;
  readonly updates: readonly TrainingUpdate[];
  readonly aggregate: (updates: readonly SiteDelta[]) => WeightSnapshot;
  readonly localSteps: number;
  readonly createdAt: string;
}): GeneratorBundle {
  const { baseBytes, baseVersion, layout, updates } = options;
  if (!baseBytes) throw new Error(`global version ${baseVersion} is missing from the store`);
  const base = decodeGeneratorBundle(baseBytes, `global version ${baseVersion}`);
  const delta = options.aggregate(
    updates.map((u) => ({ siteId: u.siteId, numExamples: u.numExamples, delta: inLayout(layout, u.tensors) })),
  );
  return buildAggregatedBundle({
    base,
    delta,
    round: options.round,
    sites: updates.map((u) => u.siteId),
    steps: options.localSteps,
    createdAt: options.createdAt,
    sitePrivacy: Object.fromEntries(updates.map((u) => [u.siteId, sitePrivacyOf(u.metrics)])),
  });
}
