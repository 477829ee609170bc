import { describe, expect, it } from 'vitest';
import type { RoundAnnouncement } from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../src/config.js';
import { createRoundScheduler, type RoundLog, type SiteTransport } from '../src/rounds/scheduler.js';
import { configureRound, type FederationStrategy } from '../src/strategies/federation-strategy.js';
import type { RoundRecord } from '../src/store/store.js';
import { createManualClock } from './manual-clock.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';

/*
 * The round scheduler alone: fake time (a manual clock), an in-memory store, a recording transport
 * and a strategy that aggregates into a placeholder version. Every timer the scheduler arms is the
 * manual clock's, so a 10-minute deadline passes in a call.
 */

const SECOND = 1000;
const ROUNDS: CoordinatorConfig['rounds'] = {
  auto: 0,
  minSites: 2,
  timeoutSeconds: 600,
  reconnectGraceSeconds: 10,
  statisticsWaitSeconds: 60,
};

interface Sent {
  readonly siteId: string;
  readonly event: 'round' | 'finished';
  readonly body: unknown;
}

function harness(options: {
  readonly sites: readonly string[];
  readonly connected?: readonly string[];
  readonly rounds?: Partial<CoordinatorConfig['rounds']>;
  readonly store?: MemoryStore;
}) {
  const clock = createManualClock();
  const store = options.store ?? createMemoryStore();
  for (const siteId of options.sites) store.addSite(siteId);
  const connected = new Set(options.connected ?? options.sites);
  const sent: Sent[] = [];
  const transport: SiteTransport = {
    connectedSites: () => [...connected],
    send: (siteId: string, event: 'round' | 'finished', message: { body: unknown }) =>
      void sent.push({ siteId, event, body: message.body }),
  };
  const aggregated: { round: number; sites: string[] }[] = [];
  const strategy: FederationStrategy = {
    id: 'fed-avg',
    configureRound,
    // The scheduler signs and sends the announcement as it is: what the round plan holds does not matter here.
    announcement: (round) =>
      ({
        round: round.round,
        kind: round.kind,
        baseVersion: round.baseVersion,
        baseSha256: '',
        deadline: round.deadline,
      }) as RoundAnnouncement,
    aggregateRound(round, updates) {
      aggregated.push({ round: round.round, sites: updates.map((u) => u.siteId) });
      const drift = {
        meanNorm: 0.5,
        meanPairwiseCosine: 0.25,
        sites: updates.map((u) => ({ siteId: u.siteId, cosineToMean: 0.75 })),
      };
      return {
        bytes: Uint8Array.of(round.round),
        weightsSha256: `weights-${round.round}`,
        ...(round.kind === 'training' && { drift }),
      };
    },
  };
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const record =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void lines.push({ level, message, fields });
  const log: RoundLog = { info: record('info'), warn: record('warn'), error: record('error') };
  const scheduler = createRoundScheduler({
    store,
    rounds: { ...ROUNDS, ...options.rounds },
    transport,
    strategy,
    sign: (body) => ({ body, signature: 'signed' }),
    log,
    clock,
  });
  return {
    clock,
    store,
    scheduler,
    sent,
    aggregated,
    messages: () => lines.map((l) => l.message),
    connect(siteId: string) {
      connected.add(siteId);
      scheduler.siteConnected(siteId);
    },
    disconnect(siteId: string) {
      connected.delete(siteId);
      scheduler.siteDisconnected(siteId);
    },
    deliver(round: number, siteId: string) {
      store.acceptUpdate(round, siteId);
      scheduler.updateAccepted(round);
    },
    round: (): RoundRecord | undefined => store.currentRound(),
  };
}

/** A store whose statistics round (round 0) is done: version 1 exists and `target` training rounds are planned. */
function afterStatisticsRound(sites: readonly string[], target = 1): MemoryStore {
  const store = createMemoryStore();
  const deadline = new Date(Date.parse('2030-01-01T00:10:00.000Z')).toISOString();
  store.openRound({ round: 0, kind: 'statistics', baseVersion: 0, deadline, participants: [...sites] });
  for (const siteId of sites) store.acceptUpdate(0, siteId);
  store.recordVersion(
    { version: 1, round: 0, sha256: 's1', weightsSha256: 'w1', sites: [...sites], createdAt: '' },
    new Uint8Array(),
  );
  store.setTargetTrainingRounds(target);
  return store;
}

describe('round scheduler: deadline', () => {
  it('closes the round at its deadline with the updates in hand when they make quorum', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const h = harness({ sites, store: afterStatisticsRound(sites) });
    h.scheduler.resume();
    h.deliver(1, 'a');
    h.deliver(1, 'b');

    // act
    h.clock.advance(ROUNDS.timeoutSeconds * SECOND - 1);
    const beforeDeadline = h.round()?.state;
    h.clock.advance(1);

    // assert
    expect(beforeDeadline).toBe('open');
    expect(h.round()).toMatchObject({ round: 1, kind: 'training', state: 'closed' });
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, round: 1, sites: ['a', 'b'] });
    expect(h.aggregated).toEqual([{ round: 1, sites: ['a', 'b'] }]);
    expect(h.messages()).toContain('deadline reached: closing with the updates in hand');
    expect(h.messages().at(-1)).toBe('federation finished');
    expect(h.sent.filter((s) => s.event === 'finished').map((s) => s.siteId)).toEqual(sites);
    expect(h.clock.pending()).toBe(0);
  });

  it('fails the round at its deadline below quorum, aggregates nothing and opens the next one', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const h = harness({ sites, store: afterStatisticsRound(sites) });
    h.scheduler.resume();
    h.deliver(1, 'a');

    // act
    h.clock.advance(ROUNDS.timeoutSeconds * SECOND);

    // assert
    expect(h.store.rounds().map((r) => [r.round, r.state])).toEqual([
      [0, 'closed'],
      [1, 'failed'],
      [2, 'open'],
    ]);
    expect(h.aggregated).toEqual([]);
    expect(h.store.versions()).toHaveLength(1);
    expect(h.messages()).toContain('round failed: deadline reached below quorum; nothing aggregated');
    expect(h.round()).toMatchObject({ round: 2, kind: 'training', baseVersion: 1, participants: sites });
  });
});

describe('round scheduler: quorum', () => {
  it('closes the round as soon as every participant delivered, without waiting for the deadline', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const h = harness({ sites, store: afterStatisticsRound(sites) });
    h.scheduler.resume();
    const announced = h.sent.filter((s) => s.event === 'round').map((s) => s.siteId);

    // act
    h.deliver(1, 'c');
    h.deliver(1, 'a');
    const beforeLast = h.round()?.state;
    h.deliver(1, 'b');

    // assert
    expect(announced).toEqual(sites);
    expect(beforeLast).toBe('open');
    expect(h.round()).toMatchObject({ round: 1, state: 'closed' });
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, sites: ['a', 'b', 'c'] });
    expect(h.messages()).not.toContain('deadline reached: closing with the updates in hand');
    expect(h.clock.pending()).toBe(0);
  });

  it('waits for sites until quorum is connected, then runs the planned rounds one after another', () => {
    // arrange
    const sites = ['a', 'b'];
    const h = harness({ sites, connected: ['a'], store: afterStatisticsRound(sites, 2) });
    h.scheduler.resume();
    const whileAlone = h.round()?.round;

    // act
    h.connect('b');
    h.deliver(1, 'a');
    h.deliver(1, 'b');
    h.deliver(2, 'a');
    h.deliver(2, 'b');

    // assert
    expect(whileAlone).toBe(0);
    expect(h.messages()).toContain('waiting for sites');
    expect(h.store.versions().map((v) => v.version)).toEqual([1, 2, 3]);
    expect(h.scheduler.status()).toMatchObject({ trainingRoundsDone: 2, targetTrainingRounds: 2, finished: true });
  });
});

describe('round scheduler: reconnect grace', () => {
  it('drops a participant disconnected beyond reconnectGraceSeconds and closes the round without it', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const h = harness({ sites, store: afterStatisticsRound(sites) });
    h.scheduler.resume();
    h.deliver(1, 'a');
    h.deliver(1, 'b');

    // act
    h.disconnect('c');
    h.clock.advance(ROUNDS.reconnectGraceSeconds * SECOND - 1);
    const withinGrace = h.round()?.state;
    h.clock.advance(1);

    // assert
    expect(withinGrace).toBe('open');
    expect(h.messages()).toContain('participant gone beyond the reconnect grace period');
    expect(h.round()).toMatchObject({ round: 1, state: 'closed' });
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, sites: ['a', 'b'] });
  });

  it('keeps waiting for a participant that reconnects within the grace period, and re-announces the round to it', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const h = harness({ sites, store: afterStatisticsRound(sites) });
    h.scheduler.resume();
    h.deliver(1, 'a');
    h.deliver(1, 'b');
    h.disconnect('c');

    // act
    h.clock.advance(ROUNDS.reconnectGraceSeconds * SECOND - 1);
    h.connect('c');
    h.clock.advance(ROUNDS.reconnectGraceSeconds * SECOND);
    const afterGrace = h.round()?.state;
    h.deliver(1, 'c');

    // assert
    expect(afterGrace).toBe('open');
    expect(h.sent.filter((s) => s.siteId === 'c' && s.event === 'round')).toHaveLength(2);
    expect(h.scheduler.status().droppedSites).toEqual([]);
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, sites: ['a', 'b', 'c'] });
  });
});

describe('round scheduler: statistics round', () => {
  it('with quorum connected, waits statisticsWaitSeconds for the rest of the allow-list, then opens round 0 without it', () => {
    // arrange
    const h = harness({ sites: ['a', 'b', 'c'], connected: ['a', 'b'] });
    h.scheduler.startRounds(1);

    // act
    h.clock.advance(ROUNDS.statisticsWaitSeconds * SECOND - 1);
    const duringWait = h.round();
    h.clock.advance(1);

    // assert
    expect(duringWait).toBeUndefined();
    expect(h.messages()).toContain('quorum connected: waiting for the other allowed sites before the statistics round');
    expect(h.round()).toMatchObject({ round: 0, kind: 'statistics', baseVersion: 0, participants: ['a', 'b'] });
  });

  it('opens round 0 at once when the last allowed site connects during the wait', () => {
    // arrange
    const h = harness({ sites: ['a', 'b', 'c'], connected: ['a', 'b'] });
    h.scheduler.startRounds(1);
    h.clock.advance(ROUNDS.statisticsWaitSeconds * SECOND - 1);

    // act
    h.connect('c');

    // assert
    expect(h.round()).toMatchObject({ round: 0, kind: 'statistics', participants: ['a', 'b', 'c'] });
    expect(h.sent.filter((s) => s.event === 'round').map((s) => s.siteId)).toEqual(['a', 'b', 'c']);
  });

  it('runs the statistics round, then the training round from version 1', () => {
    // arrange
    const h = harness({ sites: ['a', 'b'] });
    h.scheduler.startRounds(1);

    // act
    h.deliver(0, 'a');
    h.deliver(0, 'b');

    // assert
    expect(h.aggregated).toEqual([{ round: 0, sites: ['a', 'b'] }]);
    expect(h.round()).toMatchObject({ round: 1, kind: 'training', baseVersion: 1, state: 'open' });
  });

  it("keeps the drift a training round's aggregation measured (the statistics round has none)", () => {
    // arrange
    const h = harness({ sites: ['a', 'b'] });
    h.scheduler.startRounds(1);

    // act
    h.deliver(0, 'a');
    h.deliver(0, 'b');
    const afterStatistics = h.store.drifts();
    h.deliver(1, 'a');
    h.deliver(1, 'b');

    // assert
    expect(afterStatistics).toEqual([]);
    expect(h.store.drifts()).toEqual([
      {
        round: 1,
        meanNorm: 0.5,
        meanPairwiseCosine: 0.25,
        sites: [
          { siteId: 'a', cosineToMean: 0.75 },
          { siteId: 'b', cosineToMean: 0.75 },
        ],
      },
    ]);
  });
});

describe('round scheduler: restart', () => {
  it('closes, on resume, a round whose every update was committed before the crash (no version yet)', () => {
    // arrange
    const sites = ['a', 'b'];
    const store = afterStatisticsRound(sites);
    const deadline = new Date(createManualClock().now() + 300 * SECOND).toISOString();
    store.openRound({ round: 1, kind: 'training', baseVersion: 1, deadline, participants: sites });
    store.acceptUpdate(1, 'a');
    store.acceptUpdate(1, 'b');
    const h = harness({ sites, connected: [], store });

    // act
    h.scheduler.resume();

    // assert
    expect(h.messages().slice(0, 2)).toEqual(['resumed open round', 'round aggregated']);
    expect(h.round()).toMatchObject({ round: 1, state: 'closed' });
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, round: 1, sites });
    expect(h.scheduler.status().finished).toBe(true);
    expect(h.clock.pending()).toBe(0);
  });

  it('extends the deadline of an open round found past it, and re-arms the grace of its missing participants', () => {
    // arrange
    const sites = ['a', 'b', 'c'];
    const store = afterStatisticsRound(sites);
    const past = new Date(createManualClock().now() - SECOND).toISOString();
    store.openRound({ round: 1, kind: 'training', baseVersion: 1, deadline: past, participants: sites });
    store.acceptUpdate(1, 'a');
    store.acceptUpdate(1, 'b');
    const h = harness({ sites, connected: ['a', 'b'], store });

    // act
    h.scheduler.resume();
    const extended = h.round()?.deadline;
    h.clock.advance(ROUNDS.reconnectGraceSeconds * SECOND);

    // assert
    expect(h.messages()).toContain('open round found past its deadline after a restart: deadline extended');
    expect(extended).toBe(new Date(h.clock.now() - 10 * SECOND + ROUNDS.timeoutSeconds * SECOND).toISOString());
    expect(h.store.versions().at(-1)).toMatchObject({ version: 2, sites: ['a', 'b'] });
  });
});
