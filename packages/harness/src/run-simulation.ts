import { join } from 'node:path';
import {
  evaluateDownstream,
  disposeGenerator,
  loadGenerator,
  sampleFeatureSet,
  selectRows,
  snapshotSha256,
  verifyGeneratorBundle,
  writeGeneratorBundle,
  decodeGeneratorBundle,
  PublicStatusSchema,
  type DownstreamResult,
  type FeatureSet,
  type GeneratorBundle,
  type PublicStatus,
} from '@emodistill/core';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { adminRequest } from './admin-client.js';
import { HARNESS_ERRORS, HarnessError } from './errors.js';
import { setUpFederation, type FederationSetupOptions, type FederationLayout } from './federation-setup.js';
import { spawnCli, spawnCoordinator } from './processes.js';
import { createTrainingSlots, TRAINING_SLOTS_ENV } from './training-slots.js';

export interface SimulationOptions extends Omit<FederationSetupOptions, 'train' | 'dir'> {
  readonly train: FeatureSet;
  readonly test: FeatureSet;
  readonly outDir: string;
  readonly ipc: number;
  readonly evaluationSeeds: readonly number[];
  readonly log: Logger;
  /** Called about once a second with the coordinator's public status. */
  readonly onStatus?: (status: PublicStatus) => void;
  /** Runs after the rounds, while the coordinator still runs (e.g. the sites' audits); before the export. */
  readonly afterRounds?: (federation: { readonly url: string; readonly layout: FederationLayout }) => Promise<void>;
  /** Export with the release gate (every training site's passing attestation); falls back to a plain export when refused. */
  readonly release?: boolean;
  /** At most this many sites train at once (every site still trains every round); default no bound. */
  readonly maxParallelSites?: number;
}

export interface SimulationResult {
  readonly layout: FederationLayout;
  readonly bundlePath: string;
  readonly bundle: GeneratorBundle;
  readonly weightsSha256: string;
  readonly seconds: number;
  readonly federated: DownstreamResult;
  /** The downstream classifier on every site's training speakers pooled (audit holdouts excluded). */
  readonly realFull: DownstreamResult;
  /** With `release`: whether the release gate let the generator out, and why not. */
  readonly release?: { readonly released: boolean; readonly reason?: string };
  readonly pooledTrain: FeatureSet;
}

/** Evaluates a generator's synthetic set (balanced IPC) on the held-out speakers. */
export function evaluateGenerator(
  bundle: GeneratorBundle,
  test: FeatureSet,
  ipc: number,
  seeds: readonly number[],
): DownstreamResult {
  const generator = loadGenerator(bundle, 'generator');
  try {
    const synthetic = sampleFeatureSet(generator, { ipc, prior: 'balanced', seed: 1 }, 'federated');
    return evaluateDownstream(synthetic, test, { seeds });
  } finally {
    disposeGenerator(generator);
  }
}

/**
 * A federation on this machine with real processes: a coordinator and one site agent per speaker
 * group, over 127.0.0.1, through the rounds planned in the config; then the signed export and its
 * evaluation on the held-out speakers against the real training data.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = performance.now();
  const layout = await setUpFederation({ ...options, dir: join(options.outDir, 'federation') });
  const coordinator = await spawnCoordinator(layout.coordinatorConfig, join(layout.dir, 'coordinator.log'));
  try {
    await layout.writeSiteConfigs(coordinator.url);
    const slots = options.maxParallelSites ? createTrainingSlots(options.maxParallelSites) : undefined;
    const sites = layout.sites.map((site) => {
      const process = spawnCli(
        ['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'],
        join(layout.dir, `${site.siteId}.log`),
        slots ? { [TRAINING_SLOTS_ENV]: 'ipc' } : {},
        { ipc: slots !== undefined },
      );
      slots?.serve(process.child);
      return { site, process };
    });
    const poll = setInterval(() => {
      void fetch(`${coordinator.url}/status`)
        .then(async (response) => {
          const status: unknown = await response.json();
          if (Value.Check(PublicStatusSchema, status)) options.onStatus?.(status);
        })
        .catch(() => undefined);
    }, 1000);
    try {
      const codes = await Promise.all(sites.map(async ({ site, process }) => ({ site, code: await process.exited })));
      const failed = codes.filter(({ code }) => code !== 0);
      if (failed.length > 0)
        throw new HarnessError(
          HARNESS_ERRORS.siteProcessFailed,
          `site ${failed.map(({ site, code }) => `${site.siteId} exited with ${code} (log: ${join(layout.dir, `${site.siteId}.log`)})`).join('; ')}`,
        );
    } finally {
      clearInterval(poll);
    }
    await options.afterRounds?.({ url: coordinator.url, layout });
    const admin = { url: coordinator.url, adminKey: layout.adminKey };
    let release: SimulationResult['release'];
    let bytes: Uint8Array | undefined;
    if (options.release) {
      try {
        bytes = (await adminRequest(admin, 'GET', '/admin/export?release=true', undefined, true)) as Uint8Array;
        release = { released: true };
      } catch (error) {
        release = { released: false, reason: (error as Error).message };
        options.log.info({ reason: release.reason }, 'release refused; exporting without the release flag');
      }
    }
    bytes ??= (await adminRequest(admin, 'GET', '/admin/export', undefined, true)) as Uint8Array;
    const bundle = decodeGeneratorBundle(bytes, 'exported global generator');
    if (verifyGeneratorBundle(bundle) !== layout.coordinatorPublicKey)
      throw new HarnessError(
        HARNESS_ERRORS.exportNotCoordinatorSigned,
        `the exported bundle is not signed by the coordinator's key ${layout.coordinatorPublicKey}`,
      );
    const bundlePath = join(options.outDir, 'global.bundle');
    await writeGeneratorBundle(bundlePath, bundle);
    options.log.info({ bundlePath }, 'global generator exported');
    // The pooled baseline sees what the sites trained on: not their audit-holdout speakers.
    const heldOut = new Set(layout.sites.flatMap((site, i) => options.auditHoldoutSpeakers?.(i, site.speakers) ?? []));
    const pooledTrain = selectRows(options.train, (i) => !heldOut.has(options.train.speakers[i]!));
    return {
      ...(release && { release }),
      pooledTrain,
      layout,
      bundlePath,
      bundle,
      weightsSha256: snapshotSha256(bundle.weights),
      seconds: (performance.now() - started) / 1000,
      federated: evaluateGenerator(bundle, options.test, options.ipc, options.evaluationSeeds),
      realFull: evaluateDownstream(pooledTrain, options.test, { seeds: options.evaluationSeeds }),
    };
  } finally {
    coordinator.child.kill('SIGTERM');
    await coordinator.exited;
  }
}
