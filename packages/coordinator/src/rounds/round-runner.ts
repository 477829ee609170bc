import { createHash } from 'node:crypto';
import {
  canonicalBytes,
  combineMoments,
  decodeGeneratorBundle,
  decodeSafetensors,
  encodeGeneratorBundle,
  initialGeneratorWeights,
  siteLatentPrior,
  PROTOCOL,
  sameFeatureSpace,
  signBytes,
  snapshotSha256,
  type FeatureSpec,
  type FederationFinished,
  type GeneratorBundle,
  type KeyPair,
  type RoundAnnouncement,
  type Signed,
  type WeightSnapshot,
} from '@emodistill/core/federation';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorConfig } from '../config.js';
import { FAULT_POINTS, faultPoint } from '../faults/fault-point.js';
import { createStrategy } from '../strategies/registry.js';
import type { CoordinatorStore, RoundRecord, VersionRecord } from '../store/store.js';

const SITE_STATISTICS_KEY = PROTOCOL.siteStatisticsKey;
const MOMENT_TENSORS = { mean: PROTOCOL.momentMeanTensor, variance: PROTOCOL.momentVarianceTensor };
/** Far beyond any feature's scale, and small enough that the combined standardiser stays finite in float32. */
const MAX_MOMENT_MEAN = 1e18;

/** How the runner reaches sites; the socket.io gateway implements it. */
export interface SiteTransport {
  connectedSites(): string[];
  send(siteId: string, event: 'round', message: Signed<RoundAnnouncement>): void;
  send(siteId: string, event: 'finished', message: Signed<FederationFinished>): void;
}

export interface RunnerStatus {
  readonly round: RoundRecord | undefined;
  readonly acceptedSites: readonly string[];
  readonly droppedSites: readonly string[];
  readonly connectedSites: readonly string[];
  readonly latestVersion: VersionRecord | undefined;
  readonly trainingRoundsDone: number;
  readonly targetTrainingRounds: number;
  readonly finished: boolean;
}

export interface RoundRunner {
  /** Picks up where the store left off: re-arms an open round's deadline, starts the configured plan. */
  resume(): void;
  siteConnected(siteId: string): void;
  siteDisconnected(siteId: string): void;
  siteRevoked(siteId: string): void;
  /** A site reports it cannot deliver for `round`: stop waiting for it. */
  siteFailed(siteId: string, round: number, reason: string): void;
  /** Called after an update of the open round is on disk; may close the round. */
  updateAccepted(round: number): void;
  /** Plans `count` more training rounds (after the statistics round, if it has not run). */
  startRounds(count: number): RunnerStatus;
  /** Aborts the open round (nothing aggregated) and cancels the rest of the plan. */
  abort(): RunnerStatus;
  status(): RunnerStatus;
  /** Tensor names and shapes an update of `round` must have. */
  layoutFor(round: RoundRecord): readonly { name: string; shape: number[] }[];
  /** Why a statistics payload (its metadata and moment tensors) is unacceptable, or undefined. */
  checkStatistics(
    round: RoundRecord,
    metadata: Readonly<Record<string, string>>,
    tensors: WeightSnapshot,
  ): string | undefined;
  close(): void;
}

export interface RoundRunnerOptions {
  readonly store: CoordinatorStore;
  readonly config: CoordinatorConfig;
  readonly keys: KeyPair;
  readonly log: FastifyBaseLogger;
  readonly transport: SiteTransport;
}

interface SiteStatistics {
  readonly classNames: readonly string[];
  readonly featureSpec: FeatureSpec;
  readonly speakers: number;
}

function parseStatistics(metadata: Readonly<Record<string, string>>): SiteStatistics | undefined {
  try {
    const parsed = JSON.parse(metadata[SITE_STATISTICS_KEY] ?? '') as Partial<SiteStatistics>;
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

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Runs federation rounds over the durable store: opens a round when enough sites are connected,
 * waits for every participant (or its disconnection beyond the grace period, or the deadline),
 * aggregates at quorum and persists the new global version before announcing anything else.
 * All state that matters lives in the store; timers and connection tracking are rebuilt on resume.
 */
export function createRoundRunner(options: RoundRunnerOptions): RoundRunner {
  const { store, config, keys, transport } = options;
  const strategy = createStrategy(config.strategy);
  const architecture = {
    noiseDimension: config.model.noiseDimension,
    hiddenUnits: config.model.hiddenUnits,
    classCount: config.model.classNames.length,
    outputDimension: config.model.featureDimension,
  };
  const generatorLayout = layoutOf(initialGeneratorWeights(architecture, 0));
  const statisticsLayout = [
    { name: MOMENT_TENSORS.mean, shape: [config.model.featureDimension] },
    { name: MOMENT_TENSORS.variance, shape: [config.model.featureDimension] },
  ];
  const dropTimers = new Map<string, NodeJS.Timeout>();
  const dropped = new Set<string>();
  let deadlineTimer: NodeJS.Timeout | undefined;
  let statisticsWait: { timer: NodeJS.Timeout; over: boolean } | undefined;
  let closed = false;
  const log = options.log.child({ component: 'rounds' });

  const sign = <T>(body: T): Signed<T> => ({ body, signature: signBytes(canonicalBytes(body), keys.secretKey) });
  // One store query per decision, not one per site: with hundreds of sites this runs on every update and connection.
  const allowedSites = (): Set<string> =>
    new Set(
      store
        .listSites()
        .filter((s) => !s.revoked)
        .map((s) => s.siteId),
    );
  const trainingRoundsDone = (): number => Math.max(0, (store.latestVersion()?.version ?? 0) - 1);
  const openRound = (): RoundRecord | undefined => {
    const round = store.currentRound();
    return round?.state === 'open' ? round : undefined;
  };
  const isFinished = (): boolean =>
    !openRound() &&
    store.targetTrainingRounds() > 0 &&
    store.latestVersion() !== undefined &&
    trainingRoundsDone() >= store.targetTrainingRounds();

  function announcement(round: RoundRecord): Signed<RoundAnnouncement> {
    const base = round.baseVersion > 0 ? store.versionBundle(round.baseVersion) : undefined;
    return sign({
      round: round.round,
      kind: round.kind,
      baseVersion: round.baseVersion,
      baseSha256: base ? sha256Hex(base) : '',
      config: {
        localSteps: config.training.localSteps,
        distill: config.training.distill,
        stepOffset: trainingRoundsDone() * config.training.localSteps,
      },
      deadline: round.deadline,
    });
  }

  function announceFinished(siteIds: readonly string[]): void {
    const latest = store.latestVersion();
    if (!latest) return;
    const message = sign({ version: latest.version, sha256: latest.sha256 });
    for (const siteId of siteIds) transport.send(siteId, 'finished', message);
  }

  function armDeadline(round: RoundRecord): void {
    clearTimeout(deadlineTimer);
    deadlineTimer = setTimeout(
      () => onDeadline(round.round),
      Math.max(0, new Date(round.deadline).getTime() - Date.now()),
    );
  }

  function startDropTimer(siteId: string): void {
    clearTimeout(dropTimers.get(siteId));
    dropTimers.set(
      siteId,
      setTimeout(() => {
        dropTimers.delete(siteId);
        dropped.add(siteId);
        log.warn({ siteId }, 'participant gone beyond the reconnect grace period');
        maybeClose();
      }, config.rounds.reconnectGraceSeconds * 1000),
    );
  }

  function resetRoundTracking(): void {
    for (const timer of dropTimers.values()) clearTimeout(timer);
    dropTimers.clear();
    dropped.clear();
    clearTimeout(deadlineTimer);
  }

  function scheduleNext(): void {
    if (closed || openRound()) return;
    const latest = store.latestVersion();
    const target = store.targetTrainingRounds();
    if (target === 0 || (latest && trainingRoundsDone() >= target)) return;
    const allowed = allowedSites();
    const eligible = transport
      .connectedSites()
      .filter((siteId) => allowed.has(siteId))
      .sort();
    if (eligible.length < config.rounds.minSites) {
      log.info({ connected: eligible.length, minSites: config.rounds.minSites }, 'waiting for sites');
      return;
    }
    // Only round 0 waits for the rest of the allow-list, and only until its wait runs out.
    if (!latest && !statisticsWait?.over) {
      const connected = new Set(eligible);
      const missing = [...allowed].filter((siteId) => !connected.has(siteId));
      if (missing.length > 0) {
        if (!statisticsWait) {
          const waitSeconds = config.rounds.statisticsWaitSeconds;
          statisticsWait = {
            timer: setTimeout(() => ((statisticsWait!.over = true), scheduleNext()), waitSeconds * 1000),
            over: false,
          };
          log.info(
            { connected: eligible.length, missing, waitSeconds },
            'quorum connected: waiting for the other allowed sites before the statistics round',
          );
        }
        return;
      }
    }
    const previous = store.currentRound();
    const round: RoundRecord = {
      round: (previous?.round ?? -1) + 1,
      kind: latest ? 'training' : 'statistics',
      baseVersion: latest?.version ?? 0,
      state: 'open',
      openedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + config.rounds.timeoutSeconds * 1000).toISOString(),
      participants: eligible,
    };
    store.openRound(round);
    resetRoundTracking();
    armDeadline(round);
    log.info(
      { round: round.round, kind: round.kind, baseVersion: round.baseVersion, participants: eligible.length },
      'round opened',
    );
    const message = announcement(round);
    for (const siteId of eligible) transport.send(siteId, 'round', message);
  }

  function maybeClose(): void {
    const round = openRound();
    if (!round || closed) return;
    const accepted = new Set(store.updatesOf(round.round).map((u) => u.siteId));
    const allowed = allowedSites();
    const pending = round.participants.filter(
      (siteId) => !accepted.has(siteId) && !dropped.has(siteId) && allowed.has(siteId),
    );
    if (pending.length === 0 && accepted.size >= config.rounds.minSites) closeRound(round);
  }

  function onDeadline(roundNumber: number): void {
    const round = openRound();
    if (!round || round.round !== roundNumber) return;
    const accepted = store.updatesOf(round.round).length;
    if (accepted >= config.rounds.minSites) {
      log.warn({ round: round.round, accepted }, 'deadline reached: closing with the updates in hand');
      closeRound(round);
      return;
    }
    store.setRoundState(round.round, 'failed');
    resetRoundTracking();
    log.error(
      { round: round.round, accepted, minSites: config.rounds.minSites },
      'round failed: deadline reached below quorum; nothing aggregated',
    );
    scheduleNext();
  }

  function closeRound(round: RoundRecord): void {
    const started = performance.now();
    const updates = store.updatesOf(round.round);
    const payloads = updates.map((u) =>
      decodeSafetensors(store.payloadOf(round.round, u.siteId), `update of ${u.siteId} in round ${round.round}`),
    );
    const bundle =
      round.kind === 'statistics' ? initialBundle(updates, payloads) : aggregatedBundle(round, updates, payloads);
    const bytes = encodeGeneratorBundle(bundle);
    const version: VersionRecord = {
      version: round.baseVersion + 1,
      round: round.round,
      sha256: sha256Hex(bytes),
      weightsSha256: snapshotSha256(bundle.weights),
      sites: updates.map((u) => u.siteId),
      createdAt: new Date().toISOString(),
    };
    faultPoint(FAULT_POINTS.beforeVersionWrite);
    store.recordVersion(version, bytes);
    resetRoundTracking();
    log.info(
      {
        round: round.round,
        kind: round.kind,
        version: version.version,
        sites: updates.length,
        strategy: strategy.id,
        ms: Math.round(performance.now() - started),
        weightsSha256: version.weightsSha256,
      },
      'round aggregated',
    );
    if (isFinished()) {
      log.info({ version: version.version, trainingRounds: trainingRoundsDone() }, 'federation finished');
      announceFinished(transport.connectedSites());
    }
    scheduleNext();
  }

  function initialBundle(
    updates: ReturnType<CoordinatorStore['updatesOf']>,
    payloads: ReturnType<typeof decodeSafetensors>[],
  ): GeneratorBundle {
    const tensor = (i: number, name: string): Float32Array => payloads[i]!.tensors.find((t) => t.name === name)!.values;
    const standardiser = combineMoments(
      updates.map((u, i) => ({
        count: u.numExamples,
        mean: tensor(i, MOMENT_TENSORS.mean),
        variance: tensor(i, MOMENT_TENSORS.variance),
      })),
    );
    const statistics = payloads.map((p) => parseStatistics(p.metadata)!);
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
        classNames: [...config.model.classNames],
        featureSpec: statistics[0]!.featureSpec,
        trainingConfig: { localSteps: config.training.localSteps, ...config.training.distill },
        provenance: {
          createdAt: new Date().toISOString(),
          tool: 'emodistill 0.1.0',
          trainingRows: updates.reduce((sum, u) => sum + u.numExamples, 0),
          trainingSpeakers: statistics.reduce((sum, s) => sum + s.speakers, 0),
          corpusSource: 'federated',
          steps: 0,
          seconds: 0,
          backend: 'federated',
          federation: {
            strategy: strategy.id,
            trainingRounds: 0,
            sites: updates.map((u) => u.siteId),
            statisticsRound: 0,
          },
        },
        ...(config.training.latentRadius > 0 && {
          // Sorted so the regions do not depend on the order the sites' statistics arrived in.
          latentPrior: siteLatentPrior(
            [...updates]
              .sort((a, b) => (a.siteId < b.siteId ? -1 : 1))
              .map((u) => ({ name: u.siteId, numExamples: u.numExamples })),
            architecture.noiseDimension,
            config.training.latentRadius,
          ),
        }),
      },
      weights: initialGeneratorWeights(architecture, config.model.seed),
      standardiser,
    };
  }

  function aggregatedBundle(
    round: RoundRecord,
    updates: ReturnType<CoordinatorStore['updatesOf']>,
    payloads: ReturnType<typeof decodeSafetensors>[],
  ): GeneratorBundle {
    const baseBytes = store.versionBundle(round.baseVersion);
    if (!baseBytes) throw new Error(`global version ${round.baseVersion} is missing from the store`);
    const base = decodeGeneratorBundle(baseBytes, `global version ${round.baseVersion}`);
    const byName = (tensors: WeightSnapshot): WeightSnapshot =>
      generatorLayout.map((l) => tensors.find((t) => t.name === l.name)!);
    const delta = strategy.aggregate(
      updates.map((u, i) => ({ siteId: u.siteId, numExamples: u.numExamples, delta: byName(payloads[i]!.tensors) })),
    );
    const weights = byName(base.weights).map((tensor, t) => ({
      name: tensor.name,
      shape: [...tensor.shape],
      values: Float32Array.from(tensor.values, (v, i) => v + delta[t]!.values[i]!),
    }));
    const previous = base.metadata.provenance;
    const federation = previous.federation as { sites: string[]; trainingRounds: number };
    return {
      ...base,
      metadata: {
        ...base.metadata,
        provenance: {
          ...previous,
          createdAt: new Date().toISOString(),
          steps: previous.steps + config.training.localSteps,
          federation: {
            ...federation,
            trainingRounds: federation.trainingRounds + 1,
            sites: [...new Set([...federation.sites, ...updates.map((u) => u.siteId)])].sort(),
            lastRound: round.round,
          },
        },
      },
      weights,
    };
  }

  return {
    resume() {
      const round = openRound();
      if (round) {
        if (new Date(round.deadline).getTime() <= Date.now()) {
          const deadline = new Date(Date.now() + config.rounds.timeoutSeconds * 1000).toISOString();
          store.setRoundDeadline(round.round, deadline);
          log.warn(
            { round: round.round, deadline },
            'open round found past its deadline after a restart: deadline extended',
          );
        }
        const resumed = openRound()!;
        armDeadline(resumed);
        const accepted = new Set(store.updatesOf(resumed.round).map((u) => u.siteId));
        for (const siteId of resumed.participants) if (!accepted.has(siteId)) startDropTimer(siteId);
        log.info(
          {
            round: resumed.round,
            kind: resumed.kind,
            accepted: accepted.size,
            participants: resumed.participants.length,
          },
          'resumed open round',
        );
        // A crash between the last update's commit and the version's leaves a round ready to close.
        maybeClose();
      }
      if (config.rounds.auto > 0 && store.targetTrainingRounds() === 0 && !store.currentRound())
        store.setTargetTrainingRounds(config.rounds.auto);
      scheduleNext();
    },
    siteConnected(siteId) {
      clearTimeout(dropTimers.get(siteId));
      dropTimers.delete(siteId);
      dropped.delete(siteId);
      const round = openRound();
      if (round) {
        if (!round.participants.includes(siteId)) store.addParticipant(round.round, siteId);
        transport.send(siteId, 'round', announcement(round));
      } else if (isFinished()) announceFinished([siteId]);
      scheduleNext();
    },
    siteDisconnected(siteId) {
      const round = openRound();
      if (round?.participants.includes(siteId) && !store.hasUpdate(round.round, siteId)) startDropTimer(siteId);
    },
    siteRevoked(siteId) {
      dropped.add(siteId);
      maybeClose();
    },
    siteFailed(siteId, round, reason) {
      if (openRound()?.round !== round) return;
      log.error({ round, siteId, reason }, 'site failed the round');
      dropped.add(siteId);
      maybeClose();
    },
    updateAccepted: () => maybeClose(),
    startRounds(count) {
      const inProgress = openRound()?.kind === 'training' ? 1 : 0;
      store.setTargetTrainingRounds(Math.max(store.targetTrainingRounds(), trainingRoundsDone() + inProgress) + count);
      log.info({ target: store.targetTrainingRounds() }, 'rounds planned');
      scheduleNext();
      return this.status();
    },
    abort() {
      const round = openRound();
      if (round) {
        store.setRoundState(round.round, 'aborted');
        resetRoundTracking();
        log.warn({ round: round.round }, 'round aborted by the operator');
      }
      store.setTargetTrainingRounds(trainingRoundsDone());
      return this.status();
    },
    status() {
      const round = store.currentRound();
      return {
        round,
        acceptedSites: round ? store.updatesOf(round.round).map((u) => u.siteId) : [],
        droppedSites: [...dropped].sort(),
        connectedSites: transport.connectedSites().sort(),
        latestVersion: store.latestVersion(),
        trainingRoundsDone: trainingRoundsDone(),
        targetTrainingRounds: store.targetTrainingRounds(),
        finished: isFinished(),
      };
    },
    layoutFor: (round) => (round.kind === 'statistics' ? statisticsLayout : generatorLayout),
    checkStatistics(round, metadata, tensors) {
      const values = (name: string): Float32Array => tensors.find((t) => t.name === name)?.values ?? new Float32Array();
      const badMean = values(MOMENT_TENSORS.mean).findIndex((m) => !(Math.abs(m) <= MAX_MOMENT_MEAN));
      if (badMean >= 0) return `mean of dimension ${badMean} is not finite or beyond ±${MAX_MOMENT_MEAN}`;
      const badVariance = values(MOMENT_TENSORS.variance).findIndex((v) => !(v >= 0 && v <= MAX_MOMENT_MEAN ** 2));
      if (badVariance >= 0)
        return `variance of dimension ${badVariance} is negative, not finite or beyond ${MAX_MOMENT_MEAN ** 2}`;
      const statistics = parseStatistics(metadata);
      if (!statistics) return `payload metadata "${SITE_STATISTICS_KEY}" is missing or malformed`;
      const expected = config.model.classNames;
      if (statistics.classNames.join('\u0000') !== expected.join('\u0000'))
        return `site classes [${statistics.classNames.join(', ')}] differ from the federation's [${expected.join(', ')}]`;
      if (statistics.featureSpec.dimensionNames.length !== config.model.featureDimension)
        return `site features have ${statistics.featureSpec.dimensionNames.length} dimensions, the federation ${config.model.featureDimension}`;
      const first = store.updatesOf(round.round)[0];
      if (first) {
        const firstSpec = parseStatistics(
          decodeSafetensors(store.payloadOf(round.round, first.siteId), 'first statistics').metadata,
        )!.featureSpec;
        if (!sameFeatureSpace(firstSpec, statistics.featureSpec))
          return `site features are ${statistics.featureSpec.name} v${statistics.featureSpec.version}, site "${first.siteId}" sent ${firstSpec.name} v${firstSpec.version}`;
      }
      return undefined;
    },
    close() {
      closed = true;
      clearTimeout(statisticsWait?.timer);
      resetRoundTracking();
    },
  };
}

function layoutOf(snapshot: WeightSnapshot): { name: string; shape: number[] }[] {
  return snapshot.map((t) => ({ name: t.name, shape: [...t.shape] }));
}
