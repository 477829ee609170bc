import {
  aggregateCoordinateMedian,
  aggregateTrimmedMean,
  aggregateWeightedMean,
  clipByGlobalNorm,
  type WeightSnapshot,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';

export type StrategyId = CoordinatorConfig['strategy']['name'];

/** One site's update as a strategy sees it. */
export interface SiteDelta {
  readonly siteId: string;
  readonly numExamples: number;
  readonly delta: WeightSnapshot;
}

/**
 * An aggregation strategy: a thin choice of one pure aggregation function (core/aggregation),
 * with optional norm clipping first. Updates arrive sorted by site id, so results repeat exactly.
 */
export interface AggregationStrategy {
  readonly id: StrategyId;
  aggregate(updates: readonly SiteDelta[]): WeightSnapshot;
}

export function createStrategy(config: CoordinatorConfig['strategy']): AggregationStrategy {
  const clip = (delta: WeightSnapshot): WeightSnapshot =>
    config.clipNorm > 0 ? clipByGlobalNorm(delta, config.clipNorm) : delta;
  const combine: Record<StrategyId, (updates: readonly SiteDelta[]) => WeightSnapshot> = {
    'fed-avg': (updates) =>
      aggregateWeightedMean(updates.map((u) => ({ weights: clip(u.delta), numExamples: u.numExamples }))),
    'fed-median': (updates) => aggregateCoordinateMedian(updates.map((u) => clip(u.delta))),
    'fed-trimmed-avg': (updates) =>
      aggregateTrimmedMean(
        updates.map((u) => clip(u.delta)),
        config.trimFraction,
      ),
  };
  return { id: config.name, aggregate: combine[config.name] };
}
