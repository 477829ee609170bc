/**
 * The chaos harness behind `npm run bench:chaos`: a real coordinator (`emodistill coordinator
 * start`) and real site agents (`emodistill site join --exit-when-done`) on 127.0.0.1 train a small
 * generator on the synthetic test corpus, while the coordinator is SIGKILLed `kills` times and
 * restarted on the same port and data dir. Kills are of three kinds:
 *   - random: at a uniformly random moment from 0 to 2 s + 2 mean round durations after the
 *     restart listens (its sites reconnecting, re-sending, training, downloading, uploading);
 *   - upload: the coordinator kills itself right after committing the k-th update of a round (k = 1..3),
 *     before the acknowledgement goes out (`EMODISTILL_FAULT=after-update-commit@n`);
 *   - aggregation: the coordinator kills itself when a round closes, after aggregating and before
 *     writing the version (`before-version-write`) or with the version's file on disk and its row
 *     not committed (`after-version-file`).
 * Fault-armed restarts aim at the round after the one open at the restart, so every restart's
 * first close is measured. Then the same federation runs uninterrupted and the two are compared:
 *   - every update a site agent logged as acknowledged is a row of the store's `updates` table whose
 *     payload file has the row's sha256 (and the acknowledged size), and is in its round's version;
 *   - after each restart the next round closes within `closeLimitSeconds` (the rounds' deadline is
 *     `timeoutSeconds`, 600 s, so a round that waits for it shows at once; the run stops there);
 *   - the final global weights (`weightsSha256`) equal the uninterrupted run's.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createRng, type Rng } from '@emodistill/core';
import {
  setUpFederation,
  spawnCli,
  spawnCoordinator,
  type CliProcess,
  type FederationLayout,
} from '@emodistill/harness';
import { freePort, syntheticCorpus } from '../../test/federation-fixtures.ts';

/** The coordinator's fault points (packages/coordinator/src/faults/fault-point.ts). */
export type FaultPoint = 'after-update-commit' | 'before-version-write' | 'after-version-file';
export type KillKind = 'random' | 'upload' | 'aggregation';

export interface ChaosOptions {
  /** SIGKILLs of the coordinator (default 20). */
  readonly kills?: number;
  /** How many of them are aimed at aggregation (default 30 % of `kills`, at least 1 when `kills` ≥ 1). */
  readonly aggregationKills?: number;
  /** How many are aimed at an upload (default 20 % of `kills`). The rest are random. */
  readonly uploadKills?: number;
  /** Training rounds (default 1.5 × kills + 5, rounded up, so the kills fit in the run). */
  readonly rounds?: number;
  /** Local generator steps per site and round (default 40: about a second per round). */
  readonly localSteps?: number;
  /** Seed of the kill schedule (default 1). */
  readonly seed?: number;
  /** A restarted coordinator whose next round has not closed after this many seconds fails the run (default 30). */
  readonly closeLimitSeconds?: number;
  /** The rounds' deadline, `rounds.timeoutSeconds` (default 600). */
  readonly timeoutSeconds?: number;
  /** Where the two federations live (default: a new temporary directory, removed unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
}

export interface KillRecord {
  readonly index: number;
  /** Seconds since the interrupted run started. */
  readonly atSeconds: number;
  readonly kind: KillKind;
  /** `EMODISTILL_FAULT` of the killed process (aimed kills). */
  readonly fault?: string;
  /** The open round at the kill (from the store), the updates it had and the last committed version. */
  readonly round: number | null;
  readonly updatesInRound: number;
  readonly participants: number;
  readonly latestVersion: number;
  /** For aimed kills: whether the store shows the kill where it was aimed. */
  readonly landed?: boolean;
  /** The update committed last before the kill (round and site). */
  readonly lastCommitted: string | null;
  readonly state: string;
}

export interface RestartRecord {
  readonly afterKill: number;
  /** Seconds from spawning the restarted coordinator to its listening. */
  readonly startupSeconds: number;
  /** The round open in the store at the restart, and whether all its updates were already in. */
  readonly openRound: number | null;
  readonly allUpdatesIn: boolean;
  /** Seconds from the restart (spawn) to the next committed version; null if killed before that. */
  readonly timeToCloseSeconds: number | null;
  readonly outcome: 'closed' | 'killed-before-close' | 'waited-past-limit' | 'finished';
}

export interface AcknowledgementCheck {
  /** Distinct (round, site) updates the site agents logged as acknowledged. */
  readonly acknowledged: number;
  /** Acknowledgement log lines in all (re-sends answered as duplicates included). */
  readonly acknowledgements: number;
  /** Of the acknowledged: stored (row, payload file with the row's sha256 and the acknowledged size). */
  readonly stored: number;
  /** Of the stored: included in their round's version (`versions.sites`). */
  readonly inVersion: number;
  /** Acknowledged, but no row, no payload file or a payload that does not match the row. */
  readonly lost: number;
  /** Stored, but not in their round's version (or the round has none). */
  readonly notInVersion: number;
  readonly problems: readonly string[];
  /** Stored updates no site logged as acknowledged (a kill between commit and reply, never re-sent). */
  readonly storedNotAcknowledged: number;
}

export interface RunSummary {
  readonly seconds: number;
  readonly versions: number;
  readonly weightsSha256: string | null;
  readonly siteExitCodes: readonly (number | string)[];
  /** Lines the site agents logged at error level (failed rounds, refused updates). */
  readonly siteErrors: readonly string[];
  readonly meanRoundSeconds: number;
}

export interface ChaosCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ChaosReport {
  readonly options: Required<Omit<ChaosOptions, 'dir' | 'keep' | 'progress'>>;
  readonly dir: string;
  readonly reference: RunSummary;
  readonly interrupted: RunSummary;
  readonly kills: readonly KillRecord[];
  readonly killCounts: {
    readonly total: number;
    readonly random: number;
    readonly upload: number;
    readonly aggregation: number;
    readonly aggregationLanded: number;
  };
  readonly restarts: readonly RestartRecord[];
  readonly maxTimeToCloseSeconds: number | null;
  readonly acknowledgements: AcknowledgementCheck;
  /** Stored updates of the interrupted run byte-identical (sha256) to the reference run's, of those stored. */
  readonly updatesLikeReference: { readonly same: number; readonly of: number };
  readonly weightsEqual: boolean;
  /** Why the interrupted run stopped early, if it did. */
  readonly aborted?: string;
  readonly checks: readonly ChaosCheck[];
  readonly ok: boolean;
}

// The synthetic corpus and the small model of the end-to-end tests: a round takes about a second.
const DISTILL = { batchSize: 16, poolEpochs: 2, poolSize: 1, criticSteps: 2 };
const SITES = 3;
const STATUS_POLL_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface StoreSnapshot {
  readonly rounds: { round: number; state: string; participants: string[] }[];
  readonly updates: { round: number; siteId: string; sha256: string; payloadPath: string; receivedAt: string }[];
  readonly versions: { version: number; round: number; weightsSha256: string; sites: string[]; createdAt: string }[];
}

/** Reads the coordinator's SQLite store (read-only; the coordinator is not running). */
function readStore(dataDir: string): StoreSnapshot {
  const path = join(dataDir, 'coordinator.sqlite');
  if (!existsSync(path)) return { rounds: [], updates: [], versions: [] };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const participants = db.prepare('SELECT round, site_id FROM participants').all() as {
      round: number;
      site_id: string;
    }[];
    const rounds = (
      db.prepare('SELECT round, state FROM rounds ORDER BY round').all() as { round: number; state: string }[]
    ).map((r) => ({ ...r, participants: participants.filter((p) => p.round === r.round).map((p) => p.site_id) }));
    const updates = (
      db
        .prepare('SELECT round, site_id, sha256, payload_path, received_at FROM updates ORDER BY round, site_id')
        .all() as { round: number; site_id: string; sha256: string; payload_path: string; received_at: string }[]
    ).map((u) => ({
      round: u.round,
      siteId: u.site_id,
      sha256: u.sha256,
      payloadPath: isAbsolute(u.payload_path) ? u.payload_path : resolve(dataDir, '..', u.payload_path),
      receivedAt: u.received_at,
    }));
    const versions = (
      db.prepare('SELECT version, round, weights_sha256, sites, created_at FROM versions ORDER BY version').all() as {
        version: number;
        round: number;
        weights_sha256: string;
        sites: string;
        created_at: string;
      }[]
    ).map((v) => ({
      version: v.version,
      round: v.round,
      weightsSha256: v.weights_sha256,
      sites: JSON.parse(v.sites) as string[],
      createdAt: v.created_at,
    }));
    return { rounds, updates, versions };
  } finally {
    db.close();
  }
}

interface OpenRoundState {
  readonly round: number | null;
  readonly updatesInRound: number;
  readonly participants: number;
  readonly latestVersion: number;
}

function openRoundOf(store: StoreSnapshot): OpenRoundState {
  const latestVersion = store.versions.at(-1)?.version ?? 0;
  const last = store.rounds.at(-1);
  if (!last || last.state !== 'open') return { round: null, updatesInRound: 0, participants: 0, latestVersion };
  return {
    round: last.round,
    updatesInRound: store.updates.filter((u) => u.round === last.round).length,
    participants: last.participants.length,
    latestVersion,
  };
}

/** `emodistill coordinator start` with extra environment, timed from spawn to listening. */
async function startCoordinator(
  configPath: string,
  logPath: string,
  env: NodeJS.ProcessEnv,
): Promise<CliProcess & { url: string; spawnedAt: number; listeningAt: number }> {
  const spawnedAt = Date.now();
  const process = await spawnCoordinator(configPath, logPath, 30_000, env);
  return { ...process, spawnedAt, listeningAt: Date.now() };
}

/** Polls the public `/status` for the latest version and the end of the federation. */
function watchStatus(url: string): { latestVersion(): number; finished(): boolean; stop(): void } {
  let latest = 0;
  let finished = false;
  const timer = setInterval(() => {
    void fetch(`${url}/status`, { signal: AbortSignal.timeout(1000) })
      .then(async (response) => {
        const status = (await response.json()) as { latestVersion: number | null; finished: boolean };
        latest = Math.max(latest, status.latestVersion ?? 0);
        finished ||= status.finished;
      })
      .catch(() => undefined);
  }, STATUS_POLL_MS);
  return { latestVersion: () => latest, finished: () => finished, stop: () => clearInterval(timer) };
}

interface Acknowledgement {
  readonly round: number;
  readonly siteId: string;
  readonly bytes?: number;
}

/** The site agents' view: every `update accepted` (and `update was already accepted`) log line. */
function siteAcknowledgements(logPaths: readonly string[]): { acknowledgements: Acknowledgement[]; errors: string[] } {
  const acknowledgements: Acknowledgement[] = [];
  const errors: string[] = [];
  for (const path of logPaths) {
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as {
        msg?: string;
        level?: number;
        round?: number;
        siteId?: string;
        bytes?: number;
        error?: string;
        reason?: string;
      };
      if (
        (entry.msg === 'update accepted' || entry.msg === 'update was already accepted') &&
        entry.siteId !== undefined &&
        entry.round !== undefined
      ) {
        acknowledgements.push({
          round: entry.round,
          siteId: entry.siteId,
          ...(entry.bytes !== undefined && { bytes: entry.bytes }),
        });
      }
      if ((entry.level ?? 0) >= 50)
        errors.push(
          `${entry.siteId ?? '?'}: ${entry.msg}${entry.round !== undefined ? ` (round ${entry.round})` : ''}${entry.error ? `: ${entry.error}` : ''}`,
        );
    }
  }
  return { acknowledgements, errors };
}

function checkAcknowledgements(
  acknowledgements: readonly Acknowledgement[],
  store: StoreSnapshot,
): AcknowledgementCheck {
  const distinct = new Map<string, Acknowledgement>();
  for (const ack of acknowledgements)
    distinct.set(`${ack.round}/${ack.siteId}`, { ...distinct.get(`${ack.round}/${ack.siteId}`), ...ack });
  const problems: string[] = [];
  let stored = 0;
  let inVersion = 0;
  for (const ack of distinct.values()) {
    const name = `round ${ack.round} ${ack.siteId}`;
    const row = store.updates.find((u) => u.round === ack.round && u.siteId === ack.siteId);
    if (!row) {
      problems.push(`${name}: acknowledged, no row in updates`);
      continue;
    }
    if (!existsSync(row.payloadPath)) {
      problems.push(`${name}: payload file ${row.payloadPath} missing`);
      continue;
    }
    const bytes = readFileSync(row.payloadPath);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== row.sha256) {
      problems.push(`${name}: payload sha256 ${sha256}, row says ${row.sha256}`);
      continue;
    }
    if (ack.bytes !== undefined && ack.bytes !== statSync(row.payloadPath).size) {
      problems.push(`${name}: ${ack.bytes} bytes acknowledged, ${bytes.byteLength} stored`);
      continue;
    }
    stored++;
    const version = store.versions.find((v) => v.round === ack.round);
    if (!version) problems.push(`${name}: stored, but round ${ack.round} has no version`);
    else if (!version.sites.includes(ack.siteId))
      problems.push(`${name}: stored, but version ${version.version} has sites [${version.sites.join(', ')}]`);
    else inVersion++;
  }
  return {
    acknowledged: distinct.size,
    acknowledgements: acknowledgements.length,
    stored,
    inVersion,
    lost: distinct.size - stored,
    notInVersion: stored - inVersion,
    problems,
    storedNotAcknowledged: store.updates.filter((u) => !distinct.has(`${u.round}/${u.siteId}`)).length,
  };
}

/** Kinds of the planned kills in a seeded random order; aggregation kills alternate between the two points. */
function planKills(
  kills: number,
  aggregation: number,
  upload: number,
  rng: Rng,
): { kind: KillKind; point?: FaultPoint; uploadInRound?: number }[] {
  const kinds: KillKind[] = [
    ...Array<KillKind>(aggregation).fill('aggregation'),
    ...Array<KillKind>(upload).fill('upload'),
    ...Array<KillKind>(kills - aggregation - upload).fill('random'),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  let aggregations = 0;
  return kinds.map((kind) => {
    if (kind === 'aggregation')
      return { kind, point: aggregations++ % 2 === 0 ? 'before-version-write' : 'after-version-file' };
    if (kind === 'upload')
      return { kind, point: 'after-update-commit', uploadInRound: 1 + Math.floor(rng.next() * SITES) };
    return { kind };
  });
}

/**
 * `EMODISTILL_FAULT` for a restart aimed at `planned`, given the store at the restart: the fault
 * fires in the round after the one the restart closes first, so that close is measured.
 */
function faultFor(planned: ReturnType<typeof planKills>[number] | undefined, open: OpenRoundState): string | undefined {
  if (!planned?.point) return undefined;
  if (planned.kind === 'aggregation') return `${planned.point}@2`;
  const toCome = open.round === null ? SITES : open.participants - open.updatesInRound;
  return `${planned.point}@${toCome + planned.uploadInRound!}`;
}

interface Federation {
  readonly layout: FederationLayout;
  readonly dataDir: string;
  readonly coordinatorLog: string;
  readonly siteLogs: readonly string[];
}

async function prepareFederation(
  dir: string,
  rounds: number,
  localSteps: number,
  timeoutSeconds: number,
): Promise<Federation> {
  const layout = await setUpFederation({
    train: syntheticCorpus(8),
    sites: SITES,
    dir,
    rounds,
    localSteps,
    distill: DISTILL,
    hiddenUnits: [32, 32],
    noiseDimension: 8,
    // Every round waits for all three sites, and a site is never dropped for being away while the
    // coordinator restarts: the interrupted run must train on exactly the reference run's updates.
    minSites: SITES,
    timeoutSeconds,
    reconnectGraceSeconds: timeoutSeconds,
    port: await freePort(),
  });
  await layout.writeSiteConfigs(
    `http://127.0.0.1:${JSON.parse(readFileSync(layout.coordinatorConfig, 'utf8')).listen.port}`,
  );
  return {
    layout,
    dataDir: join(dir, 'coordinator-data'),
    coordinatorLog: join(dir, 'coordinator.log'),
    siteLogs: layout.sites.map((s) => join(dir, `${s.siteId}.log`)),
  };
}

function startSites(federation: Federation): CliProcess[] {
  return federation.layout.sites.map((site, i) =>
    spawnCli(
      ['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'],
      federation.siteLogs[i]!,
    ),
  );
}

function summarise(federation: Federation, seconds: number, siteExitCodes: (number | string)[]): RunSummary {
  const store = readStore(federation.dataDir);
  const training = store.versions.filter((v) => v.version > 1).map((v) => Date.parse(v.createdAt));
  return {
    seconds,
    versions: store.versions.length,
    weightsSha256: store.versions.at(-1)?.weightsSha256 ?? null,
    siteExitCodes,
    siteErrors: siteAcknowledgements(federation.siteLogs).errors,
    meanRoundSeconds: training.length > 1 ? (training.at(-1)! - training[0]!) / 1000 / (training.length - 1) : 0,
  };
}

async function stopProcess(process: CliProcess, signal: NodeJS.Signals): Promise<void> {
  if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill(signal);
  await process.exited;
}

/** Runs the uninterrupted reference federation, then the interrupted one, and compares them. */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const kills = options.kills ?? 20;
  const aggregationKills = options.aggregationKills ?? (kills === 0 ? 0 : Math.max(1, Math.round(0.3 * kills)));
  const uploadKills = options.uploadKills ?? Math.min(kills - aggregationKills, Math.round(0.2 * kills));
  if (aggregationKills + uploadKills > kills)
    throw new Error(`aimed kills (${aggregationKills} aggregation + ${uploadKills} upload) exceed --kills ${kills}`);
  const resolved = {
    kills,
    aggregationKills,
    uploadKills,
    rounds: options.rounds ?? Math.ceil(1.5 * kills) + 5,
    localSteps: options.localSteps ?? 40,
    seed: options.seed ?? 1,
    closeLimitSeconds: options.closeLimitSeconds ?? 30,
    timeoutSeconds: options.timeoutSeconds ?? 600,
  };
  const progress = options.progress ?? (() => undefined);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'emodistill-chaos-')));
  const limitMs = resolved.closeLimitSeconds * 1000;
  const running: CliProcess[] = [];
  try {
    // The reference: the same federation, never interrupted.
    progress(`reference run: ${resolved.rounds} training rounds × ${resolved.localSteps} local steps, ${SITES} sites`);
    const referenceFederation = await prepareFederation(
      join(dir, 'reference'),
      resolved.rounds,
      resolved.localSteps,
      resolved.timeoutSeconds,
    );
    const referenceStarted = performance.now();
    const referenceCoordinator = await startCoordinator(
      referenceFederation.layout.coordinatorConfig,
      referenceFederation.coordinatorLog,
      {},
    );
    running.push(referenceCoordinator);
    const referenceSites = startSites(referenceFederation);
    running.push(...referenceSites);
    const referenceWatch = watchStatus(referenceCoordinator.url);
    let lastVersion = { version: 0, at: Date.now() };
    const referenceDone = Promise.all(referenceSites.map((s) => s.exited));
    for (let done = false; !done;) {
      done = await Promise.race([referenceDone.then(() => true), sleep(200).then(() => false)]);
      if (referenceWatch.latestVersion() > lastVersion.version)
        lastVersion = { version: referenceWatch.latestVersion(), at: Date.now() };
      if (!done && Date.now() - lastVersion.at > limitMs)
        throw new Error(
          `the reference run made no progress for ${resolved.closeLimitSeconds} s (version ${lastVersion.version}); see ${referenceFederation.coordinatorLog}`,
        );
    }
    referenceWatch.stop();
    const referenceExits = await referenceDone;
    await stopProcess(referenceCoordinator, 'SIGTERM');
    const reference = summarise(referenceFederation, (performance.now() - referenceStarted) / 1000, referenceExits);
    progress(
      `reference run: ${reference.seconds.toFixed(1)} s, ${reference.meanRoundSeconds.toFixed(2)} s per round, weights ${reference.weightsSha256}`,
    );

    // The interrupted run.
    const federation = await prepareFederation(
      join(dir, 'interrupted'),
      resolved.rounds,
      resolved.localSteps,
      resolved.timeoutSeconds,
    );
    const rng = createRng(resolved.seed);
    const plan = planKills(kills, aggregationKills, uploadKills, rng);
    const killRecords: KillRecord[] = [];
    const restarts: (Omit<RestartRecord, 'outcome'> & {
      outcome: RestartRecord['outcome'];
      spawnedAt: number;
      killedAt?: number;
    })[] = [];
    const started = performance.now();
    const startedAt = Date.now();
    const roundMs = Math.max(500, reference.meanRoundSeconds * 1000);
    let fault = faultFor(plan[0], openRoundOf(readStore(federation.dataDir)));
    let coordinator = await startCoordinator(
      federation.layout.coordinatorConfig,
      federation.coordinatorLog,
      fault ? { EMODISTILL_FAULT: fault } : {},
    );
    running.push(coordinator);
    const sites = startSites(federation);
    running.push(...sites);
    const sitesDone = Promise.all(sites.map((s) => s.exited));
    const watch = watchStatus(coordinator.url);
    let aborted: string | undefined;
    // Progress: a committed version. A restart resets the clock; no progress within the limit stops the run.
    let lastProgressAt = coordinator.spawnedAt;
    let seenVersion = 0;
    let closedSinceRestart = false;
    const until = async (
      event: Promise<unknown>,
      stopWhenFinished: boolean,
    ): Promise<'event' | 'finished' | 'stalled'> => {
      for (;;) {
        const fired = await Promise.race([event.then(() => true), sleep(STATUS_POLL_MS).then(() => false)]);
        if (fired) return 'event';
        if (stopWhenFinished && watch.finished()) return 'finished';
        if (watch.latestVersion() > seenVersion) {
          seenVersion = watch.latestVersion();
          lastProgressAt = Date.now();
          closedSinceRestart = true;
        }
        if (Date.now() - lastProgressAt > limitMs) return 'stalled';
      }
    };
    const stalled = (after: string): string => {
      const { errors } = siteAcknowledgements(federation.siteLogs);
      const why = errors.length > 0 ? `; the sites logged: ${errors.join('; ')}` : '; no site logged an error';
      return closedSinceRestart
        ? `no round closed for ${resolved.closeLimitSeconds} s (version ${seenVersion})${why}`
        : `the coordinator restarted after ${after} had not closed a round ${resolved.closeLimitSeconds} s after the restart (round deadline ${resolved.timeoutSeconds} s away): it waits for the deadline${why}`;
    };
    for (const [index, planned] of plan.entries()) {
      // act: kill the running coordinator (random) or wait for it to kill itself (aimed)
      let outcome: 'event' | 'finished' | 'stalled';
      if (planned.kind === 'random') {
        outcome = await until(sleep(rng.next() * (2000 + 2 * roundMs)), true);
        if (outcome === 'event') coordinator.child.kill('SIGKILL');
      } else outcome = await until(coordinator.exited, true);
      if (outcome === 'stalled') {
        aborted = stalled(index === 0 ? 'the start' : `kill ${index}`);
        if (!closedSinceRestart && restarts.at(-1)) restarts.at(-1)!.outcome = 'waited-past-limit';
        break;
      }
      if (outcome === 'finished') {
        aborted = `the federation finished after ${index} of ${kills} kills (more rounds needed: --rounds)`;
        break;
      }
      const exit = await coordinator.exited;
      const killedAt = Date.now();
      if (restarts.at(-1)) restarts.at(-1)!.killedAt = killedAt;
      const store = readStore(federation.dataDir);
      const open = openRoundOf(store);
      const allIn = open.round !== null && open.updatesInRound === open.participants;
      const last = [...store.updates].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)).at(-1);
      const landed =
        planned.kind === 'aggregation'
          ? exit === 'SIGKILL' &&
            allIn &&
            (planned.point === 'before-version-write' ||
              readdirSync(join(federation.dataDir, 'versions')).some((f) =>
                f.startsWith(`v${open.latestVersion + 1}-`),
              ))
          : planned.kind === 'upload'
            ? exit === 'SIGKILL' && last !== undefined
            : undefined;
      killRecords.push({
        index: index + 1,
        atSeconds: (killedAt - startedAt) / 1000,
        kind: planned.kind,
        ...(fault && { fault }),
        ...open,
        ...(landed !== undefined && { landed }),
        lastCommitted: last ? `round ${last.round} ${last.siteId}` : null,
        state: `${open.round === null ? 'no open round' : `round ${open.round}: ${open.updatesInRound}/${open.participants} updates`}, version ${open.latestVersion}${planned.kind === 'upload' && last ? `; last commit: round ${last.round} ${last.siteId}` : ''}`,
      });
      progress(
        `kill ${index + 1}/${kills} at ${((killedAt - startedAt) / 1000).toFixed(1)} s: ${planned.kind}${fault ? ` (${fault})` : ''}; ${killRecords.at(-1)!.state}`,
      );

      // restart on the same port and data dir, armed for the next aimed kill
      fault = faultFor(plan[index + 1], open);
      coordinator = await startCoordinator(
        federation.layout.coordinatorConfig,
        federation.coordinatorLog,
        fault ? { EMODISTILL_FAULT: fault } : {},
      );
      running.push(coordinator);
      lastProgressAt = coordinator.spawnedAt;
      seenVersion = open.latestVersion;
      closedSinceRestart = false;
      restarts.push({
        afterKill: index + 1,
        spawnedAt: coordinator.spawnedAt,
        startupSeconds: (coordinator.listeningAt - coordinator.spawnedAt) / 1000,
        openRound: open.round,
        allUpdatesIn: allIn,
        timeToCloseSeconds: null,
        outcome: 'killed-before-close',
      });
    }
    // The last restart runs the federation to its end (the sites exit once it announces the end).
    if (!aborted && (await until(sitesDone, false)) === 'stalled') {
      aborted = stalled(`kill ${killRecords.length}`);
      if (!closedSinceRestart && restarts.at(-1)) restarts.at(-1)!.outcome = 'waited-past-limit';
    }
    watch.stop();
    for (const process of [...sites, coordinator]) await stopProcess(process, aborted ? 'SIGKILL' : 'SIGTERM');
    const siteExits = await sitesDone;
    const interrupted = summarise(federation, (performance.now() - started) / 1000, siteExits);

    // assert: measure the restarts from the versions' commit times, check every acknowledgement
    const store = readStore(federation.dataDir);
    const finalRestarts: RestartRecord[] = restarts.map(({ spawnedAt, killedAt, ...restart }) => {
      const first = store.versions
        .map((v) => Date.parse(v.createdAt))
        .find((t) => t >= spawnedAt && t <= (killedAt ?? Number.POSITIVE_INFINITY));
      if (restart.outcome === 'waited-past-limit') return restart;
      if (first !== undefined)
        return { ...restart, timeToCloseSeconds: Math.max(0, first - spawnedAt) / 1000, outcome: 'closed' };
      return { ...restart, outcome: killedAt === undefined ? 'finished' : 'killed-before-close' };
    });
    const measured = finalRestarts.map((r) => r.timeToCloseSeconds).filter((t): t is number => t !== null);
    const maxTimeToCloseSeconds = measured.length > 0 ? Math.max(...measured) : null;
    const { acknowledgements } = siteAcknowledgements(federation.siteLogs);
    const ackCheck = checkAcknowledgements(acknowledgements, store);
    const referenceStore = readStore(referenceFederation.dataDir);
    const same = store.updates.filter((u) =>
      referenceStore.updates.some((r) => r.round === u.round && r.siteId === u.siteId && r.sha256 === u.sha256),
    ).length;
    const count = (kind: KillKind): number => killRecords.filter((k) => k.kind === kind).length;
    const killCounts = {
      total: killRecords.length,
      random: count('random'),
      upload: count('upload'),
      aggregation: count('aggregation'),
      aggregationLanded: killRecords.filter((k) => k.kind === 'aggregation' && k.landed).length,
    };
    const weightsEqual =
      reference.weightsSha256 !== null &&
      interrupted.weightsSha256 === reference.weightsSha256 &&
      interrupted.versions === reference.versions;
    const waited = finalRestarts.filter((r) => r.outcome === 'waited-past-limit').length;
    const checks: ChaosCheck[] = [
      {
        name: 'kills',
        ok: killCounts.total === kills && killCounts.aggregationLanded >= aggregationKills,
        detail: `${killCounts.total}/${kills} made; ${killCounts.aggregationLanded}/${aggregationKills} aimed at aggregation landed there`,
      },
      {
        name: 'acknowledged updates kept',
        ok: ackCheck.lost === 0 && ackCheck.notInVersion === 0 && ackCheck.acknowledged > 0,
        detail: `${ackCheck.acknowledged} acknowledged, ${ackCheck.stored} stored, ${ackCheck.inVersion} in their round's version; ${ackCheck.lost} lost, ${ackCheck.notInVersion} stored but not in a version${ackCheck.problems.length > 0 ? `: ${ackCheck.problems.slice(0, 5).join('; ')}` : ''}`,
      },
      {
        name: 'no restart waits for the deadline',
        ok: waited === 0 && (maxTimeToCloseSeconds ?? 0) <= resolved.closeLimitSeconds,
        detail: `max time to close after a restart ${maxTimeToCloseSeconds?.toFixed(2) ?? '–'} s over ${measured.length} measured restarts; ${waited} waited past ${resolved.closeLimitSeconds} s (deadline ${resolved.timeoutSeconds} s)`,
      },
      {
        name: 'final weights equal the uninterrupted run',
        ok: weightsEqual,
        detail: `${interrupted.weightsSha256 ?? 'none'} (${interrupted.versions} versions) vs ${reference.weightsSha256} (${reference.versions} versions)`,
      },
      {
        name: 'sites finished',
        ok: !aborted && siteExits.every((c) => c === 0) && interrupted.siteErrors.length === 0,
        detail:
          aborted ??
          `exit codes ${siteExits.join(', ')}${interrupted.siteErrors.length > 0 ? `; errors: ${interrupted.siteErrors.slice(0, 3).join('; ')}` : ''}`,
      },
    ];
    return {
      options: resolved,
      dir,
      reference,
      interrupted,
      kills: killRecords,
      killCounts,
      restarts: finalRestarts,
      maxTimeToCloseSeconds,
      acknowledgements: ackCheck,
      updatesLikeReference: { same, of: store.updates.length },
      weightsEqual,
      ...(aborted && { aborted }),
      checks,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    for (const process of running) await stopProcess(process, 'SIGKILL').catch(() => undefined);
    if (!options.dir && !options.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** The report as text: kills, restarts, counts and each check. */
export function formatChaosReport(report: ChaosReport): string {
  const { killCounts: k, acknowledgements: a } = report;
  const lines = [
    `kills: ${k.total} (${k.aggregation} during aggregation, ${k.aggregationLanded} confirmed in the store; ${k.upload} during an upload; ${k.random} at random moments)`,
    ...report.kills.map(
      (kill) =>
        `  ${String(kill.index).padStart(2)}. ${kill.atSeconds.toFixed(1).padStart(6)} s  ${kill.kind.padEnd(11)} ${(kill.fault ?? '').padEnd(24)} ${kill.state}${kill.landed === false ? '  (not where aimed)' : ''}`,
    ),
    `restarts: ${report.restarts.length}; time to the next close after each (s): ${report.restarts.map((r) => (r.timeToCloseSeconds === null ? (r.outcome === 'waited-past-limit' ? 'WAITED' : '–') : r.timeToCloseSeconds.toFixed(2))).join(' ')}`,
    `max time to close after a restart: ${report.maxTimeToCloseSeconds?.toFixed(2) ?? '–'} s (deadline ${report.options.timeoutSeconds} s, limit ${report.options.closeLimitSeconds} s)`,
    `acknowledged updates: ${a.acknowledged} (${a.acknowledgements} acknowledgements), stored ${a.stored}, in their round's version ${a.inVersion}; lost ${a.lost}, stored but not in a version ${a.notInVersion}; stored but never acknowledged ${a.storedNotAcknowledged}`,
    `stored updates identical to the uninterrupted run's: ${report.updatesLikeReference.same}/${report.updatesLikeReference.of}`,
    `final weights: interrupted ${report.interrupted.weightsSha256 ?? 'none'}, uninterrupted ${report.reference.weightsSha256}: ${report.weightsEqual ? 'equal' : 'DIFFERENT'}`,
    `time: uninterrupted ${report.reference.seconds.toFixed(1)} s, interrupted ${report.interrupted.seconds.toFixed(1)} s`,
    ...(report.aborted ? [`stopped early: ${report.aborted}`] : []),
    ...report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
  ];
  return lines.join('\n');
}
