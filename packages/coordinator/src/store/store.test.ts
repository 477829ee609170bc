import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-store-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const DEADLINE = '2030-01-01T00:10:00.000Z';

describe('coordinator store: round history and drift', () => {
  it("stamps a round's end when it closes, fails or is aborted, and keeps a training round's drift", () => {
    // arrange
    const store = openStore(dir);
    for (const round of [0, 1, 2])
      store.openRound({
        round,
        kind: round === 0 ? 'statistics' : 'training',
        baseVersion: 0,
        deadline: DEADLINE,
        participants: ['a'],
      });

    // act
    store.recordVersion(
      { version: 1, round: 0, sha256: 's', weightsSha256: 'w', sites: ['a'], createdAt: '2030-01-01T00:01:00.000Z' },
      new Uint8Array(),
    );
    store.setRoundState(1, 'failed');
    store.recordDrift({ round: 2, meanNorm: 0.5, meanPairwiseCosine: null, sites: [{ siteId: 'a', cosineToMean: 1 }] });
    store.recordDrift({
      round: 2,
      meanNorm: 0.25,
      meanPairwiseCosine: null,
      sites: [{ siteId: 'a', cosineToMean: 1 }],
    });
    const rounds = store.listRounds(10);
    const drift = store.driftFrom(1);
    store.close();

    // assert
    expect(rounds.map((r) => [r.round, r.state])).toEqual([
      [2, 'open'],
      [1, 'failed'],
      [0, 'closed'],
    ]);
    expect(rounds[2]!.endedAt).toBe('2030-01-01T00:01:00.000Z');
    expect(Date.parse(rounds[1]!.endedAt!)).not.toBeNaN();
    expect(rounds[0]!.endedAt).toBeUndefined();
    expect(drift).toEqual([
      { round: 2, meanNorm: 0.25, meanPairwiseCosine: null, sites: [{ siteId: 'a', cosineToMean: 1 }] },
    ]);
  });

  it('opens a database made before round end times and drift were kept: its rounds stay, and new ones get both', () => {
    // arrange: the rounds table as the first release created it, with a closed round, and user_version 0
    const old = new Database(join(dir, 'coordinator.sqlite'));
    old.exec(
      'CREATE TABLE rounds (round INTEGER PRIMARY KEY, kind TEXT NOT NULL, base_version INTEGER NOT NULL, state TEXT NOT NULL, deadline TEXT NOT NULL, opened_at TEXT NOT NULL)',
    );
    old
      .prepare("INSERT INTO rounds VALUES (0, 'statistics', 0, 'closed', ?, '2029-12-31T23:59:00.000Z')")
      .run(DEADLINE);
    old.close();

    // act
    const store = openStore(dir);
    const before = store.currentRound();
    store.openRound({ round: 1, kind: 'training', baseVersion: 1, deadline: DEADLINE, participants: ['a'] });
    store.setRoundState(1, 'aborted');
    store.recordDrift({ round: 1, meanNorm: 1, meanPairwiseCosine: 0.5, sites: [] });
    const after = store.listRounds(10);
    store.close();
    const reopened = openStore(dir);
    const drift = reopened.driftFrom(0);
    reopened.close();
    const raw = new Database(join(dir, 'coordinator.sqlite'));
    const version = raw.pragma('user_version', { simple: true });
    raw.close();

    // assert
    expect(before).toEqual({
      round: 0,
      kind: 'statistics',
      baseVersion: 0,
      state: 'closed',
      deadline: DEADLINE,
      openedAt: '2029-12-31T23:59:00.000Z',
      participants: [],
    });
    expect(after[0]).toMatchObject({ round: 1, state: 'aborted', endedAt: expect.any(String) });
    expect(after[1]!.endedAt).toBeUndefined();
    expect(drift).toEqual([{ round: 1, meanNorm: 1, meanPairwiseCosine: 0.5, sites: [] }]);
    expect(version).toBe(1);
  });
});
