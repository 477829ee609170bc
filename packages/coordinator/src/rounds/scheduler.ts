import { createHash } from 'node:crypto';
import type { FederationFinished, RoundAnnouncement, Signed } from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import { FAULT_POINTS, faultPoint } from '../faults/fault-point.js';
import type { FederationStrategy } from '../strategies/federation-strategy.js';
import type { CoordinatorStore, RoundRecord, VersionRecord } from '../store/store.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

/** How the scheduler reaches sites; the socket.io gateway implements it. */
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

export interface RoundScheduler {
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
  close(): void;
}

/** The part of the durable store the scheduler reads and moves rounds through. */
export type SchedulerStore = Pick<
  CoordinatorStore,
  | 'listSites'
  | 'openRound'
  | 'currentRound'
  | 'setRoundState'
  | 'setRoundDeadline'
  | 'addParticipant'
  | 'hasUpdate'
  | 'updatesOf'
  | 'recordVersion'
  | 'recordDrift'
  | 'latestVersion'
  | 'targetTrainingRounds'
  | 'setTargetTrainingRounds'
>;

/** Structured log lines (pino's `(fields, message)` form). */
export interface RoundLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface RoundSchedulerOptions {
  readonly store: SchedulerStore;
  readonly rounds: CoordinatorConfig['rounds'];
  readonly transport: SiteTransport;
  readonly strategy: FederationStrategy;
  /** Signs what the coordinator sends sites (announcements, the end of the federation). */
  readonly sign: <T>(body: T) => Signed<T>;
  readonly log: RoundLog;
  /** The real clock unless a test injects one. */
  readonly clock?: Clock;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Runs federation rounds over the durable store: opens a round when enough sites are connected,
 * waits for every participant (or its disconnection beyond the grace period, or the deadline),
 * closes it at quorum (the strategy aggregates) and persists the new global version before
 * announcing anything else. All state that matters lives in the store; timers and connection
 * tracking are rebuilt on resume.
 */
export function createRoundScheduler(options: RoundSchedulerOptions): RoundScheduler {
  const { store, rounds, transport, strategy, sign, log } = options;
  const clock = options.clock ?? systemClock;
  const dropTimers = new Map<string, TimerHandle>();
  const dropped = new Set<string>();
  let deadlineTimer: TimerHandle | undefined;
  let statisticsWait: { timer: TimerHandle; over: boolean } | undefined;
  let closed = false;

  const isoTime = (ms: number): string => new Date(ms).toISOString();
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

  const announcement = (round: RoundRecord): Signed<RoundAnnouncement> =>
    sign(strategy.announcement(round, trainingRoundsDone()));

  function announceFinished(siteIds: readonly string[]): void {
    const latest = store.latestVersion();
    if (!latest) return;
    const message = sign<FederationFinished>({ version: latest.version, sha256: latest.sha256 });
    for (const siteId of siteIds) transport.send(siteId, 'finished', message);
  }

  function armDeadline(round: RoundRecord): void {
    clock.clearTimeout(deadlineTimer);
    deadlineTimer = clock.setTimeout(
      () => onDeadline(round.round),
      Math.max(0, new Date(round.deadline).getTime() - clock.now()),
    );
  }

  function startDropTimer(siteId: string): void {
    clock.clearTimeout(dropTimers.get(siteId));
    dropTimers.set(
      siteId,
      clock.setTimeout(() => {
        dropTimers.delete(siteId);
        dropped.add(siteId);
        log.warn({ siteId }, 'participant gone beyond the reconnect grace period');
        maybeClose();
      }, rounds.reconnectGraceSeconds * 1000),
    );
  }

  function resetRoundTracking(): void {
    for (const timer of dropTimers.values()) clock.clearTimeout(timer);
    dropTimers.clear();
    dropped.clear();
    clock.clearTimeout(deadlineTimer);
  }

  function scheduleNext(): void {
    if (closed || openRound()) return;
    const latest = store.latestVersion();
    const target = store.targetTrainingRounds();
    if (target === 0 || (latest && trainingRoundsDone() >= target)) return;
    const allowed = allowedSites();
    const next = strategy.configureRound({ connected: transport.connectedSites(), allowed, latest });
    const eligible = next.participants;
    if (eligible.length < rounds.minSites) {
      log.info({ connected: eligible.length, minSites: rounds.minSites }, 'waiting for sites');
      return;
    }
    // Only round 0 waits for the rest of the allow-list, and only until its wait runs out.
    if (!latest && !statisticsWait?.over) {
      const connected = new Set(eligible);
      const missing = [...allowed].filter((siteId) => !connected.has(siteId));
      if (missing.length > 0) {
        if (!statisticsWait) {
          const waitSeconds = rounds.statisticsWaitSeconds;
          statisticsWait = {
            timer: clock.setTimeout(() => ((statisticsWait!.over = true), scheduleNext()), waitSeconds * 1000),
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
    const now = clock.now();
    const round: RoundRecord = {
      round: (previous?.round ?? -1) + 1,
      kind: next.kind,
      baseVersion: next.baseVersion,
      state: 'open',
      openedAt: isoTime(now),
      deadline: isoTime(now + rounds.timeoutSeconds * 1000),
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
    if (pending.length === 0 && accepted.size >= rounds.minSites) closeRound(round);
  }

  function onDeadline(roundNumber: number): void {
    const round = openRound();
    if (!round || round.round !== roundNumber) return;
    const accepted = store.updatesOf(round.round).length;
    if (accepted >= rounds.minSites) {
      log.warn({ round: round.round, accepted }, 'deadline reached: closing with the updates in hand');
      closeRound(round);
      return;
    }
    store.setRoundState(round.round, 'failed');
    resetRoundTracking();
    log.error(
      { round: round.round, accepted, minSites: rounds.minSites },
      'round failed: deadline reached below quorum; nothing aggregated',
    );
    scheduleNext();
  }

  function closeRound(round: RoundRecord): void {
    const started = performance.now();
    const updates = store.updatesOf(round.round);
    const next = strategy.aggregateRound(round, updates);
    // Measured at aggregation, kept before the version (a crash in between re-aggregates and replaces it).
    if (next.drift) store.recordDrift({ round: round.round, ...next.drift });
    const version: VersionRecord = {
      version: round.baseVersion + 1,
      round: round.round,
      sha256: sha256Hex(next.bytes),
      weightsSha256: next.weightsSha256,
      sites: updates.map((u) => u.siteId),
      createdAt: isoTime(clock.now()),
    };
    faultPoint(FAULT_POINTS.beforeVersionWrite);
    store.recordVersion(version, next.bytes);
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
        ...(next.drift && { meanNorm: next.drift.meanNorm, meanPairwiseCosine: next.drift.meanPairwiseCosine }),
      },
      'round aggregated',
    );
    if (isFinished()) {
      log.info({ version: version.version, trainingRounds: trainingRoundsDone() }, 'federation finished');
      announceFinished(transport.connectedSites());
    }
    scheduleNext();
  }

  function status(): RunnerStatus {
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
  }

  return {
    resume() {
      const round = openRound();
      if (round) {
        if (new Date(round.deadline).getTime() <= clock.now()) {
          const deadline = isoTime(clock.now() + rounds.timeoutSeconds * 1000);
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
      if (rounds.auto > 0 && store.targetTrainingRounds() === 0 && !store.currentRound())
        store.setTargetTrainingRounds(rounds.auto);
      scheduleNext();
    },
    siteConnected(siteId) {
      clock.clearTimeout(dropTimers.get(siteId));
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
      return status();
    },
    abort() {
      const round = openRound();
      if (round) {
        store.setRoundState(round.round, 'aborted');
        resetRoundTracking();
        log.warn({ round: round.round }, 'round aborted by the operator');
      }
      store.setTargetTrainingRounds(trainingRoundsDone());
      return status();
    },
    status,
    close() {
      closed = true;
      clock.clearTimeout(statisticsWait?.timer);
      resetRoundTracking();
    },
  };
}
