import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeKey,
  generateKeyPair,
  selectRows,
  writeFeatureSet,
  writeKeyFile,
  type AuditPolicy,
  type DistillMethod,
  type FeatureSet,
  type KeyPair,
} from '@emodistill/core';

export interface FederationLayout {
  readonly dir: string;
  readonly coordinatorConfig: string;
  readonly adminKey: string;
  readonly coordinatorPublicKey: string;
  readonly sites: readonly {
    readonly siteId: string;
    readonly config: string;
    readonly features: string;
    readonly speakers: readonly string[];
    readonly keys: KeyPair;
  }[];
}

export interface FederationSetupOptions {
  /** Training rows only (held-out test speakers already removed). */
  readonly train: FeatureSet;
  readonly sites: number;
  readonly dir: string;
  readonly rounds: number;
  readonly localSteps: number;
  readonly distill?: Readonly<Record<string, number | number[] | string>>;
  /** The distillation method (coordinator `training.method`); default: the coordinator's. */
  readonly method?: DistillMethod;
  /** The sites' latent regions (coordinator `training.latentRadius`); default: the coordinator's. */
  readonly latentRadius?: number;
  /** Seed of the initial global generator (coordinator `model.seed`); default: the coordinator's. */
  readonly modelSeed?: number;
  readonly hiddenUnits?: readonly number[];
  readonly noiseDimension?: number;
  readonly strategy?: 'fed-avg' | 'fed-median' | 'fed-trimmed-avg';
  readonly minSites?: number;
  readonly timeoutSeconds?: number;
  readonly reconnectGraceSeconds?: number;
  readonly statisticsWaitSeconds?: number;
  readonly maxPayloadBytes?: number;
  /** Port of the coordinator; 0 (default) picks a free one. */
  readonly port?: number;
  readonly auditHoldoutSpeakers?: (siteIndex: number, speakers: readonly string[]) => readonly string[];
  /** The federation's audit policy (coordinator `auditPolicy`), fields over the default. */
  readonly auditPolicy?: Partial<AuditPolicy>;
  /** A site's DP budget (site config `privacy.maxEpsilon`); undefined: none. */
  readonly privacyBudget?: (siteIndex: number) => number | undefined;
}

/** Speakers sorted (numerically where they are numbers), dealt round robin: each site gets whole speakers (non-IID). */
export function splitSpeakersOverSites(speakers: readonly string[], sites: number): string[][] {
  const unique = [...new Set(speakers)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const groups = Array.from({ length: sites }, () => [] as string[]);
  unique.forEach((speaker, i) => groups[i % sites]!.push(speaker));
  return groups;
}

/**
 * Writes what a real federation needs on disk, as an operator would set it up: keys (0600) for
 * the coordinator, an operator and each site; each site's private feature set; and the config
 * files. The site configs name the coordinator URL, so they are written once it is known.
 */
export async function setUpFederation(
  options: FederationSetupOptions,
): Promise<FederationLayout & { writeSiteConfigs(url: string): Promise<void> }> {
  await mkdir(options.dir, { recursive: true });
  const coordinatorKeys = generateKeyPair();
  const adminKeys = generateKeyPair();
  await writeKeyFile(join(options.dir, 'coordinator.key'), coordinatorKeys);
  await writeKeyFile(join(options.dir, 'admin.key'), adminKeys);
  const groups = splitSpeakersOverSites(options.train.speakers, options.sites);
  const sites = await Promise.all(
    groups.map(async (speakers, i) => {
      const siteId = `site-${i + 1}`;
      const keys = generateKeyPair();
      const siteDir = join(options.dir, siteId);
      await mkdir(siteDir, { recursive: true });
      await writeKeyFile(join(siteDir, 'site.key'), keys);
      const mine = new Set(speakers);
      const features = join(siteDir, 'features.arrow');
      await writeFeatureSet(
        features,
        selectRows(options.train, (row) => mine.has(options.train.speakers[row]!)),
      );
      return { siteId, config: join(siteDir, 'site.json'), features, speakers, keys };
    }),
  );
  const coordinatorConfig = join(options.dir, 'coordinator.json');
  await writeFile(
    coordinatorConfig,
    `${JSON.stringify(
      {
        listen: { host: '127.0.0.1', port: options.port ?? 0 },
        dataDir: 'coordinator-data',
        keyFile: 'coordinator.key',
        adminPublicKeys: [encodeKey(adminKeys.publicKey)],
        sites: sites.map((s) => ({ id: s.siteId, publicKey: encodeKey(s.keys.publicKey) })),
        model: {
          classNames: options.train.classNames,
          featureDimension: options.train.dimension,
          ...(options.hiddenUnits && { hiddenUnits: options.hiddenUnits }),
          ...(options.noiseDimension && { noiseDimension: options.noiseDimension }),
          ...(options.modelSeed !== undefined && { seed: options.modelSeed }),
        },
        training: {
          ...(options.method && { method: options.method }),
          localSteps: options.localSteps,
          distill: options.distill ?? {},
          ...(options.latentRadius !== undefined && { latentRadius: options.latentRadius }),
        },
        strategy: { name: options.strategy ?? 'fed-avg' },
        rounds: {
          auto: options.rounds,
          minSites: options.minSites ?? options.sites,
          timeoutSeconds: options.timeoutSeconds ?? 1800,
          reconnectGraceSeconds: options.reconnectGraceSeconds ?? 10,
          ...(options.statisticsWaitSeconds !== undefined && { statisticsWaitSeconds: options.statisticsWaitSeconds }),
        },
        ...(options.maxPayloadBytes && { limits: { maxPayloadBytes: options.maxPayloadBytes } }),
        ...(options.auditPolicy && { auditPolicy: options.auditPolicy }),
      },
      null,
      2,
    )}\n`,
  );
  return {
    dir: options.dir,
    coordinatorConfig,
    adminKey: join(options.dir, 'admin.key'),
    coordinatorPublicKey: encodeKey(coordinatorKeys.publicKey),
    sites,
    async writeSiteConfigs(url) {
      await Promise.all(
        sites.map((site, i) =>
          writeFile(
            site.config,
            `${JSON.stringify(
              {
                siteId: site.siteId,
                keyFile: 'site.key',
                coordinator: { url, publicKey: encodeKey(coordinatorKeys.publicKey) },
                features: 'features.arrow',
                auditHoldoutSpeakers: options.auditHoldoutSpeakers?.(i, site.speakers) ?? [],
                backend: 'wasm',
                finalBundle: 'global.bundle',
                ...(options.privacyBudget?.(i) !== undefined && {
                  privacy: { maxEpsilon: options.privacyBudget(i) },
                }),
              },
              null,
              2,
            )}\n`,
          ),
        ),
      );
    },
  };
}
