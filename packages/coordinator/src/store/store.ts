import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** A site on the allow-list. */
export interface SiteRecord {
  readonly siteId: string;
  readonly publicKey: string;
  readonly revoked: boolean;
}

export interface RoundRecord {
  readonly round: number;
  readonly baseVersion: number;
  readonly state: 'open' | 'closed' | 'aborted';
  readonly deadline: string;
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

/**
 * The coordinator's durable state: SQLite (WAL, synchronous FULL) plus payload files written
 * atomically before the row that names them is committed. Every method returns only after the
 * change is on disk, so an acknowledged update survives a crash at any later moment.
 */
export interface CoordinatorStore {
  addSite(siteId: string, publicKey: string): void;
  revokeSite(siteId: string): boolean;
  listSites(): SiteRecord[];
  openRound(round: number, baseVersion: number, deadline: string): void;
  currentRound(): RoundRecord | undefined;
  setRoundState(round: number, state: RoundRecord['state']): void;
  nonceSeen(nonce: string): boolean;
  /** The accepted update that used `nonce`, if any (for idempotent re-sends). */
  updateByNonce(nonce: string): { round: number; siteId: string; sha256: string } | undefined;
  hasUpdate(round: number, siteId: string): boolean;
  recordUpdate(update: AcceptedUpdate): void;
  updatesOf(round: number): Omit<AcceptedUpdate, 'payload'>[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sites (site_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, base_version INTEGER NOT NULL, state TEXT NOT NULL, deadline TEXT NOT NULL, opened_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS updates (
  round INTEGER NOT NULL, site_id TEXT NOT NULL, num_examples INTEGER NOT NULL, sha256 TEXT NOT NULL,
  nonce TEXT NOT NULL UNIQUE, norm REAL NOT NULL, metrics TEXT NOT NULL, payload_path TEXT NOT NULL, received_at TEXT NOT NULL,
  PRIMARY KEY (round, site_id));
`;

/** Opens (or creates) the store in `dataDir`: `coordinator.sqlite` and `updates/`. */
export function openStore(dataDir: string): CoordinatorStore {
  mkdirSync(join(dataDir, 'updates'), { recursive: true });
  const db = new Database(join(dataDir, 'coordinator.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  const now = (): string => new Date().toISOString();
  const insertUpdate = db.prepare('INSERT INTO updates VALUES (@round, @siteId, @numExamples, @sha256, @nonce, @norm, @metrics, @payloadPath, @receivedAt)');
  return {
    addSite: (siteId, publicKey) => void db.prepare('INSERT INTO sites (site_id, public_key, added_at) VALUES (?, ?, ?) ON CONFLICT(site_id) DO UPDATE SET public_key = excluded.public_key, revoked = 0').run(siteId, publicKey, now()),
    revokeSite: (siteId) => db.prepare('UPDATE sites SET revoked = 1 WHERE site_id = ?').run(siteId).changes > 0,
    listSites: () =>
      (db.prepare('SELECT site_id, public_key, revoked FROM sites ORDER BY site_id').all() as { site_id: string; public_key: string; revoked: number }[]).map((r) => ({ siteId: r.site_id, publicKey: r.public_key, revoked: r.revoked === 1 })),
    openRound: (round, baseVersion, deadline) => void db.prepare("INSERT INTO rounds VALUES (?, ?, 'open', ?, ?)").run(round, baseVersion, deadline, now()),
    currentRound: () => {
      const row = db.prepare('SELECT round, base_version, state, deadline FROM rounds ORDER BY round DESC LIMIT 1').get() as { round: number; base_version: number; state: RoundRecord['state']; deadline: string } | undefined;
      return row && { round: row.round, baseVersion: row.base_version, state: row.state, deadline: row.deadline };
    },
    setRoundState: (round, state) => void db.prepare('UPDATE rounds SET state = ? WHERE round = ?').run(state, round),
    nonceSeen: (nonce) => db.prepare('SELECT 1 FROM updates WHERE nonce = ?').get(nonce) !== undefined,
    updateByNonce: (nonce) => {
      const row = db.prepare('SELECT round, site_id, sha256 FROM updates WHERE nonce = ?').get(nonce) as { round: number; site_id: string; sha256: string } | undefined;
      return row && { round: row.round, siteId: row.site_id, sha256: row.sha256 };
    },
    hasUpdate: (round, siteId) => db.prepare('SELECT 1 FROM updates WHERE round = ? AND site_id = ?').get(round, siteId) !== undefined,
    recordUpdate(update) {
      // The payload is on disk (fsync'd by the rename of a complete file) before the row commits.
      const payloadPath = join(dataDir, 'updates', `r${update.round}-${update.siteId}-${update.sha256.slice(0, 16)}.safetensors`);
      const temporary = `${payloadPath}.tmp`;
      writeFileSync(temporary, update.payload, { flush: true });
      renameSync(temporary, payloadPath);
      insertUpdate.run({ ...update, metrics: JSON.stringify(update.metrics), payloadPath, receivedAt: now() });
    },
    updatesOf: (round) =>
      (db.prepare('SELECT round, site_id, num_examples, sha256, nonce, norm, metrics FROM updates WHERE round = ? ORDER BY site_id').all(round) as { round: number; site_id: string; num_examples: number; sha256: string; nonce: string; norm: number; metrics: string }[]).map((r) => ({
        round: r.round,
        siteId: r.site_id,
        numExamples: r.num_examples,
        sha256: r.sha256,
        nonce: r.nonce,
        norm: r.norm,
        metrics: JSON.parse(r.metrics) as Record<string, number>,
      })),
    close: () => db.close(),
  };
}
