import { join, resolve } from 'node:path';
import { encodeKey, readFeatureSet, type FeatureSet } from '@emodistill/core';
import { SiteConfigSchema, type SiteConfig } from '@emodistill/site-agent';
import {
  checkKeyFile,
  messageOf,
  newFindings,
  readConfigForCheck,
  reportOf,
  validField,
  type CheckFindings,
  type CheckReport,
} from './config-check.js';
import {
  FEDERATION_SPEC_FILE,
  featureSetMismatches,
  readFederationSpec,
  type FederationSpec,
} from './federation-spec.js';
import { fetchReleasePolicy } from './site-client.js';

const FIELDS = SiteConfigSchema.properties;

export interface SiteCheckOptions {
  /** The federation spec from the site's kit; default: federation.json beside the config. */
  readonly federation?: string;
  /** Ask the coordinator (a signed request); false checks only local files. */
  readonly contact: boolean;
}

/** The site's audit-holdout speakers against its data: each present, and training rows left of every class. */
function checkHoldout(findings: CheckFindings, set: FeatureSet, holdout: readonly string[], source: string): void {
  const speakers = new Set(set.speakers);
  for (const speaker of holdout.filter((s) => !speakers.has(s)))
    findings.problems.push(`auditHoldoutSpeakers: "${speaker}" is not a speaker of ${source}`);
  if (holdout.length === 0)
    findings.notes.push(
      'auditHoldoutSpeakers is empty: `emodistill site audit` will refuse to run (it needs speakers the generator never saw)',
    );
  const held = new Set(holdout);
  const training = set.emotions.filter((_, i) => !held.has(set.speakers[i]!));
  if (training.length === 0) {
    findings.problems.push(`features: ${source} has no rows left once the audit-holdout speakers are removed`);
    return;
  }
  const absent = set.classNames.filter((name) => !training.includes(name));
  if (absent.length > 0)
    findings.notes.push(
      `features: ${source} has no training rows of ${absent.join(', ')}; this site's updates will carry nothing of ${absent.length > 1 ? 'those classes' : 'that class'}`,
    );
  const trainingSpeakers = new Set(set.speakers.filter((speaker) => !held.has(speaker))).size;
  findings.passed.push(
    `features: ${source} has ${training.length} training rows of ${trainingSpeakers} speakers (${speakers.size - trainingSpeakers} held out for the audit)`,
  );
}

/** The site config pins the coordinator its kit names. */
function checkPinnedCoordinator(
  findings: CheckFindings,
  pinned: SiteConfig['coordinator'],
  spec: FederationSpec,
  specPath: string,
): void {
  if (pinned.url.replace(/\/$/, '') !== spec.coordinator.url.replace(/\/$/, ''))
    findings.problems.push(
      `coordinator.url is ${pinned.url}, the federation spec ${specPath} names ${spec.coordinator.url}`,
    );
  if (pinned.publicKey !== spec.coordinator.publicKey)
    findings.problems.push(
      `coordinator.publicKey differs from the coordinator key in the federation spec ${specPath}: pin the key from your kit`,
    );
}

/**
 * The coordinator at the pinned URL answers a request signed with the site key with its audit policy,
 * signed by the pinned key: it is reachable, it is the federation's coordinator, and it allows this site.
 */
async function checkCoordinatorAnswers(
  findings: CheckFindings,
  site: Pick<SiteConfig, 'siteId' | 'keyFile' | 'coordinator'>,
  publicKey: string,
): Promise<void> {
  try {
    await fetchReleasePolicy(site);
    findings.passed.push(
      `coordinator: ${site.coordinator.url} answered a request signed with this site's key, signed by the pinned key`,
    );
  } catch (error) {
    const message = messageOf(error);
    const hint = / 401 /.test(message)
      ? `; if the operator has not added this site yet, send them its id and public key: ${site.siteId} ${publicKey} (they run emodistill sites add ${site.siteId} ${publicKey})`
      : /certificate/i.test(message)
        ? '; if the coordinator uses a private CA or a self-signed certificate, set NODE_EXTRA_CA_CERTS to its certificate (coordinator-cert.pem in the kit)'
        : '';
    findings.problems.push(`coordinator: ${message}${hint}`);
  }
}

/**
 * Validates a site config without joining: the schema (every bad field), the key file, the feature set
 * against the federation's classes and feature space (from the kit's spec) and its audit holdout, the
 * pinned coordinator against the kit, and (with `contact`) that the coordinator answers, signed by the
 * pinned key, and accepts this site's key.
 */
export async function checkSiteConfig(path: string, options: SiteCheckOptions): Promise<CheckReport> {
  const findings = newFindings();
  const { fields, baseDir } = await readConfigForCheck(findings, SiteConfigSchema, path, 'site config');

  const siteId = validField(FIELDS.siteId, fields.siteId);
  const keyFile = validField(FIELDS.keyFile, fields.keyFile);
  const keys = keyFile === undefined ? undefined : await checkKeyFile(findings, 'keyFile', resolve(baseDir, keyFile));
  const coordinator = validField(FIELDS.coordinator, fields.coordinator);
  if (keys && coordinator && encodeKey(keys.publicKey) === coordinator.publicKey)
    findings.problems.push(
      "keyFile holds the coordinator's key (coordinator.publicKey): a site makes its own with emodistill keys generate",
    );

  const featuresPath = validField(FIELDS.features, fields.features);
  const source = featuresPath === undefined ? undefined : resolve(baseDir, featuresPath);
  const set =
    source === undefined
      ? undefined
      : await readFeatureSet(source).catch((error: unknown) => {
          findings.problems.push(`features: ${messageOf(error)}`);
          return undefined;
        });
  const holdout = validField(FIELDS.auditHoldoutSpeakers, fields.auditHoldoutSpeakers);
  if (set && holdout) checkHoldout(findings, set, holdout, source!);

  const specPath = options.federation ?? join(baseDir, FEDERATION_SPEC_FILE);
  const { spec, problems } = await readFederationSpec(specPath);
  findings.problems.push(
    ...problems.map((problem) =>
      options.federation ? problem : `${problem} (the spec from the site's kit; give another with --federation)`,
    ),
  );
  if (spec && set) {
    const mismatches = featureSetMismatches(spec, set, source!);
    findings.problems.push(...mismatches);
    if (mismatches.length === 0)
      findings.passed.push(
        `features: classes [${spec.classNames.join(', ')}] and ${spec.featureSpec.name} v${spec.featureSpec.version} features (${spec.featureSpec.dimensionNames.length} dims) match the federation's`,
      );
  }
  if (spec && coordinator) checkPinnedCoordinator(findings, coordinator, spec, specPath);

  if (!options.contact) findings.notes.push('coordinator: not contacted (--offline)');
  else if (siteId !== undefined && keyFile !== undefined && keys && coordinator)
    await checkCoordinatorAnswers(
      findings,
      { siteId, keyFile: resolve(baseDir, keyFile), coordinator },
      encodeKey(keys.publicKey),
    );
  else findings.notes.push('coordinator: not contacted until siteId, keyFile and coordinator are fine');
  return reportOf(path, findings);
}
