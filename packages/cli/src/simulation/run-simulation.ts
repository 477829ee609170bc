import { join } from 'node:path';
import {
  EmodistillError,
  ERROR_CODES,
  evaluateDownstream,
  loadGenerator,
  sampleFeatureSet,
  snapshotSha256,
  verifyGeneratorBundle,
  writeGeneratorBundle,
  decodeGeneratorBundle,
  type DownstreamResult,
  type FeatureSet,
  type GeneratorBundle,
} from '@emodistill/core';
import type { Logger } from 'pino';
import { adminRequest } from '../admin-client.js';
import { setUpFederation, type FederationSetupOptions, type FederationLayout } from './federation-setup.js';
import { spawnCli, spawnCoordinator } from './processes.js';

export interface SimulationOptions extends Omit<FederationSetupOptions, 'train' | 'dir'> {
  readonly train: FeatureSet;
  readonly test: FeatureSet;
  readonly outDir: string;
  readonly ipc: number;
  readonly evaluationSeeds: readonly number[];
  readonly log: Logger;
  /** Called about once a second with the coordinator's public status. */
  readonly onStatus?: (status: PublicStatus) => void;
}

export interface PublicStatus {
  readonly round: number | null;
  readonly kind: string | null;
  readonly state: string | null;
  readonly acceptedUpdates: number;
  readonly latestVersion: number | null;
  readonly finished: boolean;
}

export interface SimulationResult {
  readonly layout: FederationLayout;
  readonly bundlePath: string;
  readonly bundle: GeneratorBundle;
  readonly weightsSha256: string;
  readonly seconds: number;
  readonly federated: DownstreamResult;
  readonly realFull: DownstreamResult;
}

/** Evaluates a generator's synthetic set (balanced IPC) on the held-out speakers. */
export function evaluateGenerator(bundle: GeneratorBundle, test: FeatureSet, ipc: number, seeds: readonly number[]): DownstreamResult {
  const generator = loadGenerator(bundle, 'generator');
  try {
    const synthetic = sampleFeatureSet(generator, { ipc, prior: 'balanced', seed: 1 }, 'federated');
    return evaluateDownstream(synthetic, test, { seeds });
  } finally {
    generator.network.dispose();
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
    const sites = layout.sites.map((site) => ({ site, process: spawnCli(['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'], join(layout.dir, `${site.siteId}.log`)) }));
    const poll = setInterval(() => {
      void fetch(`${coordinator.url}/status`)
        .then(async (response) => options.onStatus?.((await response.json()) as PublicStatus))
        .catch(() => undefined);
    }, 1000);
    try {
      const codes = await Promise.all(sites.map(async ({ site, process }) => ({ site, code: await process.exited })));
      const failed = codes.filter(({ code }) => code !== 0);
      if (failed.length > 0) throw new EmodistillError(ERROR_CODES.internal, `site ${failed.map(({ site, code }) => `${site.siteId} exited with ${code} (log: ${join(layout.dir, `${site.siteId}.log`)})`).join('; ')}`);
    } finally {
      clearInterval(poll);
    }
    const bytes = (await adminRequest({ url: coordinator.url, adminKey: layout.adminKey }, 'GET', '/admin/export', undefined, true)) as Uint8Array;
    const bundle = decodeGeneratorBundle(bytes, 'exported global generator');
    if (verifyGeneratorBundle(bundle) !== layout.coordinatorPublicKey) throw new EmodistillError(ERROR_CODES.bundleFormat, 'the exported bundle is not signed by the coordinator');
    const bundlePath = join(options.outDir, 'global.bundle');
    await writeGeneratorBundle(bundlePath, bundle);
    options.log.info({ bundlePath }, 'global generator exported');
    return {
      layout,
      bundlePath,
      bundle,
      weightsSha256: snapshotSha256(bundle.weights),
      seconds: (performance.now() - started) / 1000,
      federated: evaluateGenerator(bundle, options.test, options.ipc, options.evaluationSeeds),
      realFull: evaluateDownstream(options.train, options.test, { seeds: options.evaluationSeeds }),
    };
  } finally {
    coordinator.child.kill('SIGTERM');
    await coordinator.exited;
  }
}
