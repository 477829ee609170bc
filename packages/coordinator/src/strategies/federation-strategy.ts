import { createHash } from 'node:crypto';
import {
  decodeSafetensors,
  measureUpdateDrift,
  planRound,
  encodeGeneratorBundle,
  snapshotSha256,
  type GeneratorBundle,
  type RoundAnnouncement,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import {
  generatorArchitecture,
  generatorLayout,
  inLayout,
  nextGlobalModel,
  type TensorLayout,
  type TrainingUpdate,
} from './global-model.js';
import { statisticsBundle } from './statistics-round.js';
import type {
  AcceptedUpdate,
  CoordinatorStore,
  RoundDrift,
  RoundKind,
  RoundRecord,
  VersionRecord,
} from '../store/store.js';
import { createStrategy, type StrategyId } from './registry.js';

/** What the next round is chosen from. */
export interface RoundSelection {
  /** Sites with a live session. */
  readonly connected: readonly string[];
  /** Sites on the allow-list and not revoked. */
  readonly allowed: ReadonlySet<string>;
  /** The latest global version (none before the statistics round). */
  readonly latest: VersionRecord | undefined;
}

/** The next round as the strategy configures it; the scheduler numbers, times and opens it. */
export interface RoundConfiguration {
  readonly kind: RoundKind;
  readonly baseVersion: number;
  /** Sorted site ids the round is announced to. */
  readonly participants: string[];
}

/** A round's accepted update as the store lists it (its payload is read when the round is aggregated). */
export type UpdateEntry = Omit<AcceptedUpdate, 'payload'>;

/** The next global version's bundle file and its weights' fingerprint. */
export interface NextGlobalVersion {
  readonly bytes: Uint8Array;
  readonly weightsSha256: string;
  /** How far a training round's updates pulled apart (none for the statistics round: moments are no step). */
  readonly drift?: Omit<RoundDrift, 'round'>;
}

/** A training round's drift, per site id, from its updates' deltas (in the generator's layout). */
function roundDrift(updates: readonly TrainingUpdate[], layout: TensorLayout): Omit<RoundDrift, 'round'> {
  const drift = measureUpdateDrift(updates.map((u) => inLayout(layout, u.tensors)));
  return {
    meanNorm: drift.meanNorm,
    meanPairwiseCosine: drift.meanPairwiseCosine,
    sites: updates.map((u, i) => ({ siteId: u.siteId, cosineToMean: drift.cosineToMean[i]! })),
  };
}

/**
 * The federation's strategy, split as Flower's is: `configureRound` (configure_fit) picks the
 * participants and `announcement` tells them what to do; `aggregateRound` (aggregate_fit) turns the
 * round's accepted updates into the next global version.
 */
export interface FederationStrategy {
  readonly id: StrategyId;
  configureRound(selection: RoundSelection): RoundConfiguration;
  /** The (unsigned) announcement of an open round. */
  announcement(round: RoundRecord, trainingRoundsDone: number): RoundAnnouncement;
  aggregateRound(round: RoundRecord, updates: readonly UpdateEntry[]): NextGlobalVersion;
}

export interface FederationStrategyOptions {
  readonly config: CoordinatorConfig;
  readonly store: Pick<CoordinatorStore, 'payloadOf' | 'versionBundle'>;
  /** Milliseconds since the epoch (the scheduler's clock): when a version is made. */
  readonly now: () => number;
}

/** Every connected site on the allow-list takes part; round 0 gathers statistics, every later round trains. */
export function configureRound(selection: RoundSelection): RoundConfiguration {
  const { connected, allowed, latest } = selection;
  return {
    kind: latest ? 'training' : 'statistics',
    baseVersion: latest?.version ?? 0,
    participants: connected.filter((siteId) => allowed.has(siteId)).sort(),
  };
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function createFederationStrategy(options: FederationStrategyOptions): FederationStrategy {
  const { config, store, now } = options;
  const aggregation = createStrategy(config.strategy);
  const architecture = generatorArchitecture(config.model);
  const layout = generatorLayout(architecture);

  return {
    id: aggregation.id,
    configureRound,
    announcement(round, trainingRoundsDone) {
      const base = round.baseVersion > 0 ? store.versionBundle(round.baseVersion) : undefined;
      return {
        round: round.round,
        kind: round.kind,
        baseVersion: round.baseVersion,
        baseSha256: base ? sha256Hex(base) : '',
        plan: planRound(config.training, trainingRoundsDone),
        deadline: round.deadline,
      };
    },
    aggregateRound(round, updates) {
      const payloads = updates.map((u) =>
        decodeSafetensors(store.payloadOf(round.round, u.siteId), `update of ${u.siteId} in round ${round.round}`),
      );
      const createdAt = new Date(now()).toISOString();
      const encoded = (bundle: GeneratorBundle): NextGlobalVersion => ({
        bytes: encodeGeneratorBundle(bundle),
        weightsSha256: snapshotSha256(bundle.weights),
      });
      if (round.kind === 'statistics')
        return encoded(
          statisticsBundle({
            updates: updates.map((u, i) => ({ siteId: u.siteId, numExamples: u.numExamples, payload: payloads[i]! })),
            config,
            architecture,
            strategy: aggregation.id,
            createdAt,
          }),
        );
      const training: TrainingUpdate[] = updates.map((u, i) => ({
        siteId: u.siteId,
        numExamples: u.numExamples,
        tensors: payloads[i]!.tensors,
        metrics: u.metrics,
      }));
      const bundle = nextGlobalModel({
        baseBytes: store.versionBundle(round.baseVersion),
        baseVersion: round.baseVersion,
        round: round.round,
        layout,
        updates: training,
        aggregate: aggregation.aggregate,
        localSteps: config.training.localSteps,
        createdAt,
      });
      return { ...encoded(bundle), drift: roundDrift(training, layout) };
    },
  };
}
