import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Attestation } from '@emodistill/core/federation';
import { FAULT_POINTS, faultPoint } from '../faults/fault-point.js';

/** A site on the allow-list. */
export interface SiteRecord {
  readonly siteId: string;
  readonly publicKey: string;
  readonly revoked: boolean;
}

export type RoundKind = 'statistics' | 'training';
export type RoundState = 'open' | 'closed' | 'failed' | 'aborted';

export interface RoundRecord {
  readonly round: number;
  readonly kind: RoundKind;
  readonly baseVersion: number;
  readonly state: RoundState;
  readonly deadline: string;
  /** When the round opened (ISO-8601): the earliest an update of it may be signed, less the clock skew. */
  readonly openedAt: string;
  /** Sites the round was announced to (persisted so a restarted coordinator waits for the same ones). */
  readonly participants: readonly string[];
  /** When the round closed, failed or was aborted (ISO-8601); absent while open (and for rounds ended before it was kept). */
  readonly endedAt?: string;
}

export interface AcceptedUpdate {
  readonly round: number;
  readonly siteId: string;
  readonly numExamples: number;
  readonly sha256: string;
  readonly nonce: string;
  readonly norm: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly payload: Uint8Array;
}

/** An accepted update as the round history lists it: no payload, no nonce; when it was stored. */
export type UpdateRecord = Omit<AcceptedUpdate, 'payload' | 'nonce'> & { readonly receivedAt: string };

/** How far a training round's updates pulled apart, measured when it was aggregated. */
export interface RoundDrift {
  readonly round: number;
  /** Norm of the plain mean of the round's updates. */
  readonly meanNorm: number;
  /** Mean cosine similarity over pairs of updates; null with fewer than two non-zero ones. */
  readonly meanPairwiseCosine: number | null;
  /** Each site's cosine similarity with the mean update (null: a zero update). */
  readonly sites: readonly { readonly siteId: string; readonly cosineToMean: number | null }[];
}

/** A global generator version: the bundle file and what produced it. */
export interface VersionRecord {
  readonly version: number;
  readonly round: number;
  /** sha256 (hex) of the bundle file's bytes. */
  readonly sha256: string;
  /** snapshotSha256 of the generator weights: equal weights, equal fingerprint, whatever the metadata. */
  readonly weightsSha256: string;
  readonly sites: readonly string[];
  readonly createdAt: string;
}

/**
 * The coordinator's durable state: SQLite (WAL, synchronous FULL) plus payload and model files
 * written atomically before the row that names them is committed. Every method returns only after
 * the change is on disk, so an acknowledged update survives a crash at any later moment.
 */
export interface CoordinatorStore {
  /** Adds a site, or replaces its key and lifts a revocation (the operator's explicit act). */
  addSite(siteId: string, publicKey: string): void;
  /** Adds a site unless it is already known (config seeding: never undoes a revocation). */
  seedSite(siteId: string, publicKey: string): void;
  revokeSite(siteId: string): boolean;
  listSites(): SiteRecord[];
  /** Persists a new open round (`openedAt` defaults to now). */
  openRound(round: Omit<RoundRecord, 'state' | 'openedAt' | 'endedAt'> & { readonly openedAt?: string }): void;
  currentRound(): RoundRecord | undefined;
  /** Moves a round to `state`; a round leaving 'open' is stamped with its end time. */
  setRoundState(round: number, state: RoundState): void;
  setRoundDeadline(round: number, deadline: string): void;
  addParticipant(round: number, siteId: string): void;
  nonceSeen(nonce: string): boolean;
  /** The accepted update that used `nonce`, if any (for idempotent re-sends). */
  updateByNonce(nonce: string): { round: number; siteId: string; sha256: string } | undefined;
  hasUpdate(round: number, siteId: string): boolean;
  /**
   * Stores an accepted update: its payload file (flushed, renamed into place), then its row. Rows
   * of updates arriving together commit in one transaction (group commit); resolves once the row
   * is durable.
   */
  recordUpdate(update: AcceptedUpdate): Promise<void>;
  updatesOf(round: number): Omit<AcceptedUpdate, 'payload'>[];
  payloadOf(round: number, siteId: string): Uint8Array;
  /** The latest `count` rounds, newest first. */
  listRounds(count: number): RoundRecord[];
  /** Accepted updates of rounds `fromRound` and later, by round then site. */
  updatesFrom(fromRound: number): UpdateRecord[];
  /** Accepted updates per site in all rounds, and when the last one arrived. */
  updateCountsBySite(): { siteId: string; accepted: number; lastReceivedAt: string }[];
  /** Keeps a round's drift (measured when it is aggregated; a re-aggregation after a crash replaces it). */
  recordDrift(drift: RoundDrift): void;
  /** Drift of rounds `fromRound` and later, by round. */
  driftFrom(fromRound: number): RoundDrift[];
  /** Writes the bundle file, then in one transaction records the version and closes its round. */
  recordVersion(version: VersionRecord, bundle: Uint8Array): void;
  latestVersion(): VersionRecord | undefined;
  listVersions(): VersionRecord[];
  versionBundle(version: number): Uint8Array | undefined;
  /** Training rounds the operator asked for in all (persisted: a restart continues the plan). */
  targetTrainingRounds(): number;
  setTargetTrainingRounds(count: number): void;
  /** Keeps a site's verified audit attestation of a bundle (a newer one for the same bundle replaces it). */
  recordAttestation(siteId: string, attestation: Attestation): void;
  attestationsOf(subjectSha256: string): { siteId: string; attestation: Attestation }[];
  /** Remembers a signed request's nonce; false if it was already used. Forgets nonces older than `forgetBefore`. */
  claimRequestNonce(nonce: string, time: Date, forgetBefore: Date): boolean;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sites (site_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, kind TEXT NOT NULL, base_version INTEGER NOT NULL, state TEXT NOT NULL, deadline TEXT NOT NULL, opened_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (round INTEGER NOT NULL, site_id TEXT NOT NULL, PRIMARY KEY (round, site_id));
CREATE TABLE IF NOT EXISTS updates (
  round INTEGER NOT NULL, site_id TEXT NOT NULL, num_examples INTEGER NOT NULL, sha256 TEXT NOT NULL,
  nonce TEXT NOT NULL UNIQUE, norm REAL NOT NULL, metrics TEXT NOT NULL, payload_path TEXT NOT NULL, received_at TEXT NOT NULL,
  PRIMARY KEY (round, site_id));
CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY, round INTEGER NOT NULL, sha256 TEXT NOT NULL, weights_sha256 TEXT NOT NULL, sites TEXT NOT NULL, path TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attestations (site_id TEXT NOT NULL, subject_sha256 TEXT NOT NULL, passed INTEGER NOT NULL, attestation TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (site_id, subject_sha256));
CREATE TABLE IF NOT EXISTS request_nonces (nonce TEXT PRIMARY KEY, time TEXT NOT NULL);
`;

/**
 * Changes to SCHEMA, in order; `PRAGMA user_version` counts those applied. A new database gets SCHEMA
 * and then every migration, an existing one the migrations it lacks: append, never edit one.
 */
const MIGRATIONS: readonly string[] = [
  // 1: when each round ended, and each training round's drift (rounds ended before stay without).
  `ALTER TABLE rounds ADD COLUMN ended_at TEXT;
   CREATE TABLE round_drift (round INTEGER PRIMARY KEY, mean_norm REAL NOT NULL, mean_pairwise_cosine REAL, sites TEXT NOT NULL);`,
];

/** Brings a database opened with SCHEMA up to date, each migration in its own transaction. */
function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  MIGRATIONS.slice(applied).forEach((sql, i) =>
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${applied + i + 1}`);
    })(),
  );
}

/** Writes a complete file under a temporary name, flushes it, then renames it into place. */
function writeFileDurably(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, bytes, { flush: true });
  renameSync(temporary, path);
}

/** writeFileDurably without blocking the event loop, so many uploads' files are written at once. */
async function writeFileDurablyAsync(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

interface RoundRow {
  round: number;
  kind: RoundKind;
  base_version: number;
  state: RoundState;
  deadline: string;
  opened_at: string;
  ended_at: string | null;
}

interface VersionRow {
  version: number;
  round: number;
  sha256: string;
  weights_sha256: string;
  sites: string;
  path: string;
  created_at: string;
}
const toVersion = (row: VersionRow): VersionRecord => ({
  version: row.version,
  round: row.round,
  sha256: row.sha256,
  weightsSha256: row.weights_sha256,
  sites: JSON.parse(row.sites) as string[],
  createdAt: row.created_at,
});

/** Opens (or creates) the store in `dataDir`: `coordinator.sqlite`, `updates/` and `versions/`. */
export function openStore(dataDir: string): CoordinatorStore {
  mkdirSync(join(dataDir, 'updates'), { recursive: true });
  mkdirSync(join(dataDir, 'versions'), { recursive: true });
  const db = new Database(join(dataDir, 'coordinator.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  migrate(db);
  const now = (): string => new Date().toISOString();
  const insertUpdate = db.prepare(
    'INSERT INTO updates VALUES (@round, @siteId, @numExamples, @sha256, @nonce, @norm, @metrics, @payloadPath, @receivedAt)',
  );
  const meta = (key: string): string | undefined =>
    (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  const setMeta = (key: string, value: string): void =>
    void db
      .prepare('INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  const insertVersion = db.transaction((version: VersionRecord, path: string) => {
    db.prepare('INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      version.version,
      version.round,
      version.sha256,
      version.weightsSha256,
      JSON.stringify(version.sites),
      path,
      version.createdAt,
    );
    db.prepare("UPDATE rounds SET state = 'closed', ended_at = ? WHERE round = ?").run(
      version.createdAt,
      version.round,
    );
  });
  // Group commit: rows queued in the same turn of the event loop share one transaction (one fsync).
  const queuedRows: { row: Record<string, unknown>; settle: (error?: Error) => void }[] = [];
  const commitQueuedRows = db.transaction((batch: typeof queuedRows) => {
    const failures = new Map<(typeof batch)[number], Error>();
    for (const entry of batch) {
      try {
        insertUpdate.run(entry.row);
      } catch (error) {
        failures.set(entry, error as Error);
      }
    }
    return failures;
  });
  const flushQueuedRows = (): void => {
    const batch = queuedRows.splice(0);
    let failures: Map<(typeof batch)[number], Error>;
    try {
      failures = commitQueuedRows(batch);
    } catch (error) {
      for (const entry of batch) entry.settle(error as Error);
      return;
    }
    for (const entry of batch) entry.settle(failures.get(entry));
  };
  const participantsOf = db.prepare('SELECT site_id FROM participants WHERE round = ? ORDER BY site_id').pluck();
  const listRounds = (count: number): RoundRecord[] =>
    (
      db
        .prepare(
          'SELECT round, kind, base_version, state, deadline, opened_at, ended_at FROM rounds ORDER BY round DESC LIMIT ?',
        )
        .all(count) as RoundRow[]
    ).map((row) => ({
      round: row.round,
      kind: row.kind,
      baseVersion: row.base_version,
      state: row.state,
      deadline: row.deadline,
      openedAt: row.opened_at,
      participants: participantsOf.all(row.round) as string[],
      ...(row.ended_at !== null && { endedAt: row.ended_at }),
    }));
  const claimNonce = db.transaction((nonce: string, time: string, forgetBefore: string) => {
    db.prepare('DELETE FROM request_nonces WHERE time < ?').run(forgetBefore);
    return db.prepare('INSERT OR IGNORE INTO request_nonces VALUES (?, ?)').run(nonce, time).changes === 1;
  });
  return {
    addSite: (siteId, publicKey) =>
      void db
        .prepare(
          'INSERT INTO sites (site_id, public_key, added_at) VALUES (?, ?, ?) ON CONFLICT(site_id) DO UPDATE SET public_key = excluded.public_key, revoked = 0',
        )
        .run(siteId, publicKey, now()),
    seedSite: (siteId, publicKey) =>
      void db
        .prepare('INSERT OR IGNORE INTO sites (site_id, public_key, added_at) VALUES (?, ?, ?)')
        .run(siteId, publicKey, now()),
    revokeSite: (siteId) => db.prepare('UPDATE sites SET revoked = 1 WHERE site_id = ?').run(siteId).changes > 0,
    listSites: () =>
      (
        db.prepare('SELECT site_id, public_key, revoked FROM sites ORDER BY site_id').all() as {
          site_id: string;
          public_key: string;
          revoked: number;
        }[]
      ).map((r) => ({ siteId: r.site_id, publicKey: r.public_key, revoked: r.revoked === 1 })),
    openRound: db.transaction(
      (round: Omit<RoundRecord, 'state' | 'openedAt' | 'endedAt'> & { readonly openedAt?: string }) => {
        db.prepare(
          "INSERT INTO rounds (round, kind, base_version, state, deadline, opened_at) VALUES (?, ?, ?, 'open', ?, ?)",
        ).run(round.round, round.kind, round.baseVersion, round.deadline, round.openedAt ?? now());
        for (const siteId of round.participants)
          db.prepare('INSERT INTO participants VALUES (?, ?)').run(round.round, siteId);
      },
    ),
    currentRound: () => listRounds(1)[0],
    setRoundState: (round, state) =>
      void db
        .prepare('UPDATE rounds SET state = ?, ended_at = ? WHERE round = ?')
        .run(state, state === 'open' ? null : now(), round),
    setRoundDeadline: (round, deadline) =>
      void db.prepare('UPDATE rounds SET deadline = ? WHERE round = ?').run(deadline, round),
    addParticipant: (round, siteId) =>
      void db.prepare('INSERT OR IGNORE INTO participants VALUES (?, ?)').run(round, siteId),
    nonceSeen: (nonce) => db.prepare('SELECT 1 FROM updates WHERE nonce = ?').get(nonce) !== undefined,
    updateByNonce: (nonce) => {
      const row = db.prepare('SELECT round, site_id, sha256 FROM updates WHERE nonce = ?').get(nonce) as
        { round: number; site_id: string; sha256: string } | undefined;
      return row && { round: row.round, siteId: row.site_id, sha256: row.sha256 };
    },
    hasUpdate: (round, siteId) =>
      db.prepare('SELECT 1 FROM updates WHERE round = ? AND site_id = ?').get(round, siteId) !== undefined,
    async recordUpdate(update) {
      // The payload is on disk (flushed, then renamed into place) before the row commits.
      const payloadPath = join(
        dataDir,
        'updates',
        `r${update.round}-${update.siteId}-${update.sha256.slice(0, 16)}.safetensors`,
      );
      await writeFileDurablyAsync(payloadPath, update.payload);
      await new Promise<void>((resolve, reject) => {
        if (queuedRows.length === 0) setImmediate(flushQueuedRows);
        queuedRows.push({
          row: { ...update, metrics: JSON.stringify(update.metrics), payloadPath, receivedAt: now() },
          settle: (error) => (error ? reject(error) : resolve()),
        });
      });
    },
    updatesOf: (round) =>
      (
        db
          .prepare(
            'SELECT round, site_id, num_examples, sha256, nonce, norm, metrics FROM updates WHERE round = ? ORDER BY site_id',
          )
          .all(round) as {
          round: number;
          site_id: string;
          num_examples: number;
          sha256: string;
          nonce: string;
          norm: number;
          metrics: string;
        }[]
      ).map((r) => ({
        round: r.round,
        siteId: r.site_id,
        numExamples: r.num_examples,
        sha256: r.sha256,
        nonce: r.nonce,
        norm: r.norm,
        metrics: JSON.parse(r.metrics) as Record<string, number>,
      })),
    listRounds,
    updatesFrom: (fromRound) =>
      (
        db
          .prepare(
            'SELECT round, site_id, num_examples, sha256, norm, metrics, received_at FROM updates WHERE round >= ? ORDER BY round, site_id',
          )
          .all(fromRound) as {
          round: number;
          site_id: string;
          num_examples: number;
          sha256: string;
          norm: number;
          metrics: string;
          received_at: string;
        }[]
      ).map((r) => ({
        round: r.round,
        siteId: r.site_id,
        numExamples: r.num_examples,
        sha256: r.sha256,
        norm: r.norm,
        metrics: JSON.parse(r.metrics) as Record<string, number>,
        receivedAt: r.received_at,
      })),
    updateCountsBySite: () =>
      (
        db
          .prepare(
            'SELECT site_id, COUNT(*) AS accepted, MAX(received_at) AS last FROM updates GROUP BY site_id ORDER BY site_id',
          )
          .all() as { site_id: string; accepted: number; last: string }[]
      ).map((r) => ({ siteId: r.site_id, accepted: r.accepted, lastReceivedAt: r.last })),
    recordDrift: (drift) =>
      void db
        .prepare('INSERT OR REPLACE INTO round_drift VALUES (?, ?, ?, ?)')
        .run(drift.round, drift.meanNorm, drift.meanPairwiseCosine, JSON.stringify(drift.sites)),
    driftFrom: (fromRound) =>
      (
        db
          .prepare(
            'SELECT round, mean_norm, mean_pairwise_cosine, sites FROM round_drift WHERE round >= ? ORDER BY round',
          )
          .all(fromRound) as { round: number; mean_norm: number; mean_pairwise_cosine: number | null; sites: string }[]
      ).map((r) => ({
        round: r.round,
        meanNorm: r.mean_norm,
        meanPairwiseCosine: r.mean_pairwise_cosine,
        sites: JSON.parse(r.sites) as RoundDrift['sites'],
      })),
    payloadOf(round, siteId) {
      const row = db.prepare('SELECT payload_path FROM updates WHERE round = ? AND site_id = ?').get(round, siteId) as
        { payload_path: string } | undefined;
      if (!row) throw new Error(`no accepted update of site "${siteId}" in round ${round}`);
      return readFileSync(row.payload_path);
    },
    recordVersion(version, bundle) {
      const path = join(dataDir, 'versions', `v${version.version}-${version.sha256.slice(0, 16)}.bundle`);
      writeFileDurably(path, bundle);
      faultPoint(FAULT_POINTS.afterVersionFile);
      insertVersion(version, path);
    },
    latestVersion: () => {
      const row = db.prepare('SELECT * FROM versions ORDER BY version DESC LIMIT 1').get() as VersionRow | undefined;
      return row && toVersion(row);
    },
    listVersions: () => (db.prepare('SELECT * FROM versions ORDER BY version').all() as VersionRow[]).map(toVersion),
    versionBundle: (version) => {
      const row = db.prepare('SELECT path FROM versions WHERE version = ?').get(version) as
        { path: string } | undefined;
      return row && readFileSync(row.path);
    },
    targetTrainingRounds: () => Number(meta('targetTrainingRounds') ?? 0),
    setTargetTrainingRounds: (count) => setMeta('targetTrainingRounds', String(count)),
    recordAttestation: (siteId, attestation) =>
      void db
        .prepare(
          'INSERT INTO attestations VALUES (?, ?, ?, ?, ?) ON CONFLICT(site_id, subject_sha256) DO UPDATE SET passed = excluded.passed, attestation = excluded.attestation, received_at = excluded.received_at',
        )
        .run(
          siteId,
          attestation.body.subjectSha256,
          attestation.body.verdict === 'pass' ? 1 : 0,
          JSON.stringify(attestation),
          now(),
        ),
    attestationsOf: (subjectSha256) =>
      (
        db
          .prepare('SELECT site_id, attestation FROM attestations WHERE subject_sha256 = ? ORDER BY site_id')
          .all(subjectSha256) as { site_id: string; attestation: string }[]
      ).map((r) => ({ siteId: r.site_id, attestation: JSON.parse(r.attestation) as Attestation })),
    claimRequestNonce: (nonce, time, forgetBefore) =>
      claimNonce(nonce, time.toISOString(), forgetBefore.toISOString()) as boolean,
    close: () => db.close(),
  };
}
