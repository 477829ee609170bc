import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import { retryAfterMilliseconds } from './retry-after.js';
import {
  assertBundleMatches,
  canonicalBytes,
  checkMessage,
  createDistillTrainer,
  cryptoRng,
  DEFAULT_MOMENTS_NOISE_MULTIPLIER,
  privateMomentsRowsNeeded,
  latentOffsetOf,
  decodeGeneratorBundle,
  encodeSafetensors,
  PROTOCOL,
  readErrorReply,
  readFeatureSet,
  readKeyFile,
  resolveDistillConfig,
  selectBackend,
  selectRows,
  signRequest,
  trainSteps,
  UpdateAcceptedSchema,
  verifyBytes,
  AUTH_HEADER,
  type DistillTrainer,
  type RoundAnnouncement,
  type StepLosses,
} from '@emodistill/core';
import type { SiteConfig } from './config.js';
import { SITE_AGENT_ERRORS, SiteAgentError } from './errors.js';
import {
  prepareUpdate,
  statisticsPayload,
  weightDelta,
  type PreparedUpdate,
  type StatisticsRelease,
} from './local-update.js';
import {
  planPrivateStatistics,
  planPrivateTraining,
  readPrivacyLedger,
  recordPrivateTraining,
  type PrivacyLedger,
} from './privacy-ledger.js';

export interface SiteProgress {
  readonly round: number;
  readonly step: number;
  readonly steps: number;
  readonly losses?: StepLosses;
}

export interface JoinOptions {
  readonly log: Logger;
  readonly onProgress?: (progress: SiteProgress) => void;
  /**
   * Awaited before each round's local training, which gives the slot back when it ends (a
   * simulation of many sites on one machine uses it to bound how many train at once).
   */
  readonly trainingSlot?: () => Promise<() => void>;
}

/** How the federation ended for this site. */
export interface FederationOutcome {
  readonly version: number;
  readonly sha256: string;
  readonly finalBundle?: string;
}

export interface SiteAgent {
  /** Resolves when the coordinator announces the end of the planned rounds; rejects on a fatal error. */
  readonly finished: Promise<FederationOutcome>;
  stop(): Promise<void>;
}

/** A stable per-site seed, so each site's local training repeats exactly. */
function siteSeed(siteId: string, base: number): number {
  let hash = 0x811c9dc5;
  for (const char of siteId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return (base + hash) % 0x7fffffff;
}

/** Writes `bytes` to `path`, creating its folder. */
async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Joins a federation: proves the site's identity to the coordinator, verifies every announcement
 * and model against the pinned coordinator key, trains locally (critic and classifier pool stay
 * here) and uploads signed updates. Reconnects with backoff; re-sends an update idempotently.
 */
export async function joinFederation(config: SiteConfig, options: JoinOptions): Promise<SiteAgent> {
  const log = options.log.child({ siteId: config.siteId });
  const keys = await readKeyFile(config.keyFile);
  const backend = await selectBackend(config.backend, config.compute);
  const all = await readFeatureSet(config.features);
  const holdout = new Set(config.auditHoldoutSpeakers);
  const set = selectRows(all, (i) => !holdout.has(all.speakers[i]!));
  if (set.ids.length === 0)
    throw new SiteAgentError(
      SITE_AGENT_ERRORS.noTrainingRows,
      `${config.features}: no rows left after removing the audit-holdout speakers`,
    );
  log.info(
    { rows: set.ids.length, heldOut: all.ids.length - set.ids.length, dimension: set.dimension, backend },
    'site ready',
  );
  const baseUrl = config.coordinator.url.replace(/\/$/, '');

  let settle: { resolve(outcome: FederationOutcome): void; reject(error: Error): void } | undefined;
  const finished = new Promise<FederationOutcome>((resolve, reject) => (settle = { resolve, reject }));
  let stopped = false;
  const prepared = new Map<string, PreparedUpdate>();
  const queued = new Set<string>();
  let queue: Promise<void> = Promise.resolve();
  let trainer: DistillTrainer | undefined;
  let ledger: PrivacyLedger | undefined;

  const signed = (method: string, path: string): string =>
    signRequest({ role: 'site', id: config.siteId, method, path }, keys.secretKey);
  const verifyCoordinator = (body: unknown, signature: string): boolean =>
    verifyBytes(canonicalBytes(body), signature, config.coordinator.publicKey);

  /**
   * Downloads a global version, retrying a lost connection or a 5xx (a coordinator restarting)
   * until `deadline`; a refusal (4xx) or a wrong hash fails at once.
   */
  async function download(
    version: number,
    expectedSha256: string,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Uint8Array> {
    const path = `/models/${version}`;
    let response: Response | undefined;
    for (let attempt = 0; !response; attempt++) {
      if (stopped) throw new SiteAgentError(SITE_AGENT_ERRORS.stopped, 'site agent stopped');
      let retryAfterMs: number | undefined;
      try {
        const answer = await fetch(`${baseUrl}${path}`, { headers: { [AUTH_HEADER]: signed('GET', path) } });
        if (answer.status < 500) response = answer;
        else retryAfterMs = retryAfterMilliseconds(answer.headers.get('retry-after'));
      } catch (error) {
        log.warn({ version, attempt, error: (error as Error).message }, 'model download failed; retrying');
      }
      if (!response) {
        if (Date.now() > deadline)
          throw new SiteAgentError(
            SITE_AGENT_ERRORS.downloadFailed,
            `download of global version ${version} kept failing until the round's deadline`,
          );
        await sleep(Math.min(retryAfterMs ?? Math.min(8000, 250 * 2 ** attempt), Math.max(0, deadline - Date.now())));
      }
    }
    if (!response.ok)
      throw new SiteAgentError(
        SITE_AGENT_ERRORS.downloadRefused,
        `download of global version ${version} refused: HTTP ${response.status} ${await response.text()}`,
      );
    const bytes = new Uint8Array(await response.arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // The signed announcement names the hash: a model altered in transit or by a proxy is refused.
    if (sha256 !== expectedSha256)
      throw new SiteAgentError(
        SITE_AGENT_ERRORS.modelHashMismatch,
        `global version ${version} has sha256 ${sha256}, the coordinator signed ${expectedSha256}`,
      );
    return bytes;
  }

  /**
   * Round 0's moments: private when this site will train privately (the announced plan's DP-SGD)
   * or has a budget of its own, and then in the ledger (and within the budget) before a row is read.
   */
  async function statisticsRelease(announcement: RoundAnnouncement): Promise<StatisticsRelease> {
    const { dpClipNorm, dpDelta } = resolveDistillConfig({ ...announcement.plan.distill });
    if (!(dpClipNorm > 0) && config.privacy.maxEpsilon === undefined) return statisticsPayload(set);
    const noiseMultiplier = config.privacy.statisticsNoiseMultiplier ?? DEFAULT_MOMENTS_NOISE_MULTIPLIER;
    const planned = planPrivateStatistics(
      { round: announcement.round, noiseMultiplier, delta: dpDelta, set, maxEpsilon: config.privacy.maxEpsilon },
      (ledger ??= await readPrivacyLedger(config.privacy.ledger, config.siteId)),
    );
    ledger = await recordPrivateTraining(config.privacy.ledger, ledger, planned.entry);
    log.info(
      { round: announcement.round, noiseMultiplier, epsilonUtterance: planned.spent.epsilonUtterance, delta: dpDelta },
      'statistics released with differential privacy',
    );
    const rowsNeeded = privateMomentsRowsNeeded(set.dimension, noiseMultiplier);
    if (set.ids.length < rowsNeeded)
      log.warn(
        { rows: set.ids.length, rowsNeeded, dimension: set.dimension, noiseMultiplier },
        'too few rows for accurate private moments: expect a poor standardiser',
      );
    return statisticsPayload(set, { noiseMultiplier, rng: cryptoRng() });
  }

  async function localUpdate(announcement: RoundAnnouncement): Promise<PreparedUpdate> {
    if (announcement.kind === 'statistics') {
      const statistics = await statisticsRelease(announcement);
      return prepareUpdate(
        {
          siteId: config.siteId,
          round: announcement.round,
          baseVersion: announcement.baseVersion,
          numExamples: statistics.numExamples,
          metrics: { speakers: new Set(set.speakers).size },
        },
        statistics.payload,
        keys,
      );
    }
    const bundle = decodeGeneratorBundle(
      await download(announcement.baseVersion, announcement.baseSha256, new Date(announcement.deadline).getTime()),
      `global version ${announcement.baseVersion}`,
    );
    assertBundleMatches(bundle, set, config.features);
    // In a simulation with a bound on sites training at once, wait for a slot (pool training included).
    const releaseSlot = await options.trainingSlot?.();
    try {
      const { localSteps, stepOffset, distill: planned } = announcement.plan;
      if (!trainer) {
        const { noiseDimension, hiddenUnits } = bundle.metadata.architecture;
        const distill = resolveDistillConfig({
          ...planned,
          noiseDimension,
          hiddenUnits: [...hiddenUnits],
          seed: siteSeed(config.siteId, planned.seed ?? 0),
        });
        const latentOffset = latentOffsetOf(bundle.metadata.latentPrior, config.siteId);
        if (latentOffset)
          log.info(
            { round: announcement.round, radius: Math.hypot(...latentOffset) },
            "training in this site's latent region",
          );
        else if (bundle.metadata.latentPrior)
          log.warn(
            { round: announcement.round },
            'the global generator has no latent region for this site (it missed the statistics round): training on the whole latent space',
          );
        // Train in the federation's standardised space (from every site's moments), not a local one.
        trainer = createDistillTrainer(set, distill, { standardiser: bundle.standardiser, latentOffset });
        trainer.preparePool(stepOffset);
      }
      // The spend is recorded before any row is read, so a crash mid-round still counts it.
      const privateTraining = planPrivateTraining(
        {
          round: announcement.round,
          localSteps,
          distill: trainer.config,
          set,
          maxEpsilon: config.privacy.maxEpsilon,
        },
        (ledger ??= await readPrivacyLedger(config.privacy.ledger, config.siteId)),
      );
      if (privateTraining) ledger = await recordPrivateTraining(config.privacy.ledger, ledger, privateTraining.entry);
      trainer.loadGeneratorWeights(bundle.weights, `global version ${announcement.baseVersion}`);
      const started = performance.now();
      const losses = await trainSteps(trainer, stepOffset, stepOffset + localSteps, {
        onProgress: (progress) =>
          options.onProgress?.({
            round: announcement.round,
            step: progress.step - stepOffset,
            steps: localSteps,
            losses: progress.losses,
          }),
        afterStep: async () => {
          // Keep socket.io heartbeats and reconnections alive while training.
          await yieldToEventLoop();
          if (stopped) throw new SiteAgentError(SITE_AGENT_ERRORS.stopped, 'site agent stopped');
        },
      });
      const delta = weightDelta(trainer.generatorWeights(), bundle.weights);
      log.info(
        { round: announcement.round, steps: localSteps, seconds: (performance.now() - started) / 1000 },
        'local training done',
      );
      return prepareUpdate(
        {
          siteId: config.siteId,
          round: announcement.round,
          baseVersion: announcement.baseVersion,
          numExamples: set.ids.length,
          metrics: {
            wasserstein: losses?.wasserstein ?? 0,
            adversarial: losses?.adversarial ?? 0,
            localSteps,
            ...(privateTraining && {
              epsilonUtterance: privateTraining.spent.epsilonUtterance,
              epsilonSpeaker: privateTraining.spent.epsilonSpeaker,
              dpDelta: privateTraining.spent.delta,
            }),
          },
        },
        encodeSafetensors(delta, {}),
        keys,
      );
    } finally {
      releaseSlot?.();
    }
  }

  /** Uploads until accepted (or already accepted), refused for good, or past the round's deadline. */
  async function upload(announcement: RoundAnnouncement, update: PreparedUpdate): Promise<void> {
    const deadline = new Date(announcement.deadline).getTime();
    for (let attempt = 0; !stopped; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await fetch(`${baseUrl}/rounds/${announcement.round}/updates`, {
          method: 'PUT',
          headers: {
            'content-type': 'application/octet-stream',
            [PROTOCOL.updateHeader]: Buffer.from(JSON.stringify(update.envelope)).toString('base64'),
          },
          body: update.payload,
        });
        const body: unknown = await response.json().catch(() => undefined);
        if (response.ok)
          return void log.info(
            {
              round: announcement.round,
              duplicate: Value.Check(UpdateAcceptedSchema, body) && body.duplicate,
              bytes: update.payload.byteLength,
            },
            'update accepted',
          );
        const reply = readErrorReply(body);
        if (reply.code === 'DUPLICATE')
          return void log.info({ round: announcement.round }, 'update was already accepted');
        // Refused for good: the caller reports the round as failed, so the coordinator stops waiting.
        if (response.status < 500)
          throw new SiteAgentError(
            SITE_AGENT_ERRORS.updateRefused,
            `update for round ${announcement.round} refused: HTTP ${response.status} ${reply.code} ${reply.message}`.trim(),
          );
        retryAfterMs = retryAfterMilliseconds(response.headers.get('retry-after'));
        log.warn(
          { round: announcement.round, attempt, status: response.status, code: reply.code, retryAfterMs },
          'upload deferred by the coordinator; retrying',
        );
      } catch (error) {
        if (error instanceof SiteAgentError) throw error;
        log.warn({ round: announcement.round, attempt, error: (error as Error).message }, 'upload failed; retrying');
      }
      if (Date.now() > deadline)
        return void log.error({ round: announcement.round }, 'gave up uploading: the round deadline passed');
      await sleep(Math.min(retryAfterMs ?? Math.min(8000, 250 * 2 ** attempt), Math.max(0, deadline - Date.now())));
    }
  }

  async function handleRound(announcement: RoundAnnouncement, key: string): Promise<void> {
    if (stopped) return;
    if (Date.now() > new Date(announcement.deadline).getTime())
      return void log.warn({ round: announcement.round }, 'announcement already past its deadline; skipped');
    log.info(
      { round: announcement.round, kind: announcement.kind, baseVersion: announcement.baseVersion },
      'round started',
    );
    const update = await localUpdate(announcement);
    prepared.set(key, update);
    await upload(announcement, update);
  }

  async function onFinished(version: number, sha256: string): Promise<void> {
    let finalBundle: string | undefined;
    const path = config.finalBundle;
    if (path) {
      const bytes = await download(version, sha256);
      decodeGeneratorBundle(bytes, `global version ${version}`);
      // The exact bytes the coordinator signed for: an audit attestation names their sha256.
      await writeBytes(path, bytes).catch((error: Error) => {
        const message = `cannot write the final global generator to finalBundle ${path}: ${error.message}`;
        throw new SiteAgentError(SITE_AGENT_ERRORS.finalBundleUnwritable, message, { cause: error });
      });
      finalBundle = path;
    }
    log.info({ version, sha256 }, 'federation finished');
    settle?.resolve({ version, sha256, ...(finalBundle && { finalBundle }) });
  }

  const socket: Socket = io(baseUrl, {
    path: PROTOCOL.socketPath,
    // A function, so every reconnection signs a fresh handshake (time and nonce).
    auth: (callback) => callback({ token: signed('GET', PROTOCOL.socketPath) }),
    transports: ['websocket'],
    reconnectionDelay: 250,
    reconnectionDelayMax: 4000,
  });
  socket.on('connect', () => log.info({ url: baseUrl }, 'connected to the coordinator'));
  socket.on('disconnect', (reason) => log.warn({ reason }, 'disconnected from the coordinator'));
  socket.on('connect_error', (error) => {
    if (error.message.startsWith('unauthorised')) {
      log.error({ reason: error.message }, 'the coordinator refused this site');
      settle?.reject(
        new SiteAgentError(
          SITE_AGENT_ERRORS.siteRefused,
          `coordinator ${baseUrl} refused site "${config.siteId}": ${error.message}`,
        ),
      );
      socket.close();
    } else log.debug({ error: error.message }, 'connection attempt failed; retrying');
  });
  socket.on('round', (message: unknown) => {
    const checked = checkMessage('signedAnnouncement', message);
    if (!checked.ok) {
      const raw = message as { body?: { round?: unknown }; signature?: unknown } | undefined;
      // Signed by the coordinator but not one this site can follow (e.g. a newer round plan version):
      // say so, so the round need not wait for this site until its deadline.
      if (
        typeof raw?.body?.round === 'number' &&
        typeof raw.signature === 'string' &&
        verifyCoordinator(raw.body, raw.signature)
      )
        socket.emit('round-failed', { round: raw.body.round, reason: checked.reason.slice(0, 500) });
      return void log.error({ reason: checked.reason }, 'announcement refused');
    }
    if (!verifyCoordinator(checked.message.body, checked.message.signature)) {
      return void log.error(
        { reason: 'signature does not verify against the pinned coordinator key' },
        'announcement ignored',
      );
    }
    const announcement = checked.message.body;
    const key = `${announcement.round}:${announcement.baseVersion}`;
    const ready = prepared.get(key);
    // Already trained for this round (e.g. the coordinator restarted): re-send the same signed update.
    if (ready)
      return void upload(announcement, ready).catch((error: Error) =>
        log.error({ round: announcement.round, error: error.message }, 're-sent update refused'),
      );
    if (queued.has(key)) return;
    queued.add(key);
    queue = queue
      .then(() => handleRound(announcement, key))
      .catch((error: Error) => {
        // A later announcement of the same round (after a reconnect) may try again.
        queued.delete(key);
        log.error({ round: announcement.round, error: error.message }, 'round failed at this site');
        // Tell the coordinator, so the round need not wait for this site until its deadline.
        socket.emit('round-failed', { round: announcement.round, reason: error.message.slice(0, 500) });
      });
  });
  socket.on('finished', (message: unknown) => {
    const checked = checkMessage('signedFinished', message);
    if (!checked.ok || !verifyCoordinator(checked.message.body, checked.message.signature))
      return void log.error({}, 'finish notice ignored: not signed by the coordinator');
    const { version, sha256 } = checked.message.body;
    queue = queue.then(() => onFinished(version, sha256)).catch((error: Error) => settle?.reject(error));
  });

  return {
    finished,
    async stop() {
      stopped = true;
      socket.close();
      await queue.catch(() => undefined);
      trainer?.dispose();
    },
  };
}
