import type { SchedulerStore } from '../src/rounds/scheduler.js';
import type { RoundDrift, RoundRecord, RoundState, SiteRecord, VersionRecord } from '../src/store/store.js';
import type { UpdateEntry } from '../src/strategies/federation-strategy.js';

/** The scheduler's part of the coordinator store, in memory, with what a test needs to set it up. */
export interface MemoryStore extends SchedulerStore {
  addSite(siteId: string): void;
  revokeSite(siteId: string): void;
  /** Records an accepted update of `round` (as the update route does once it is on disk). */
  acceptUpdate(round: number, siteId: string, numExamples?: number): void;
  rounds(): RoundRecord[];
  versions(): VersionRecord[];
  drifts(): RoundDrift[];
}

export function createMemoryStore(): MemoryStore {
  const sites = new Map<string, SiteRecord>();
  const rounds: RoundRecord[] = [];
  const updates: UpdateEntry[] = [];
  const versions: VersionRecord[] = [];
  const drifts = new Map<number, RoundDrift>();
  let target = 0;
  const bySiteId = <T extends { readonly siteId: string }>(a: T, b: T): number =>
    a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0;
  const snapshot = (round: RoundRecord): RoundRecord => ({ ...round, participants: [...round.participants].sort() });
  const update = (round: number, change: (record: RoundRecord) => RoundRecord): void => {
    const index = rounds.findIndex((r) => r.round === round);
    if (index >= 0) rounds[index] = change(rounds[index]!);
  };
  const setState = (round: number, state: RoundState): void => update(round, (r) => ({ ...r, state }));

  return {
    addSite: (siteId) => void sites.set(siteId, { siteId, publicKey: `key-${siteId}`, revoked: false }),
    revokeSite(siteId) {
      const site = sites.get(siteId);
      if (site) sites.set(siteId, { ...site, revoked: true });
    },
    acceptUpdate(round, siteId, numExamples = 10) {
      updates.push({
        round,
        siteId,
        numExamples,
        sha256: `sha-${round}-${siteId}`,
        nonce: `n-${round}-${siteId}`,
        norm: 1,
        metrics: {},
      });
    },
    rounds: () => rounds.map(snapshot),
    versions: () => [...versions],
    drifts: () => [...drifts.values()],
    listSites: () => [...sites.values()].sort(bySiteId),
    openRound(round) {
      if (rounds.some((r) => r.round === round.round)) throw new Error(`round ${round.round} exists`);
      rounds.push({ ...round, state: 'open', openedAt: round.openedAt ?? new Date().toISOString() });
    },
    currentRound: () => {
      const last = rounds.at(-1);
      return last && snapshot(last);
    },
    setRoundState: setState,
    setRoundDeadline: (round, deadline) => update(round, (r) => ({ ...r, deadline })),
    addParticipant: (round, siteId) =>
      update(round, (r) => (r.participants.includes(siteId) ? r : { ...r, participants: [...r.participants, siteId] })),
    hasUpdate: (round, siteId) => updates.some((u) => u.round === round && u.siteId === siteId),
    updatesOf: (round) => updates.filter((u) => u.round === round).sort(bySiteId),
    recordVersion(version) {
      versions.push(version);
      setState(version.round, 'closed');
    },
    recordDrift: (drift) => void drifts.set(drift.round, drift),
    latestVersion: () => versions.at(-1),
    targetTrainingRounds: () => target,
    setTargetTrainingRounds: (count) => void (target = count),
  };
}
