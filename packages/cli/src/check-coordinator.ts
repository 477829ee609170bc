import { resolve } from 'node:path';
import type { Static } from '@sinclair/typebox';
import { checkRoundPlan, encodeKey, planRound, resolveDistillConfig } from '@emodistill/core';
import { CoordinatorConfigSchema } from '@emodistill/coordinator';
import {
  checkKeyFile,
  checkPortFree,
  checkTlsFiles,
  checkWritableFolder,
  messageOf,
  newFindings,
  readConfigForCheck,
  reportOf,
  validField,
  type CheckFindings,
  type CheckReport,
} from './config-check.js';

const FIELDS = CoordinatorConfigSchema.properties;

/** Values listed more than once. */
const repeated = (values: readonly string[]): string[] => [
  ...new Set(values.filter((value, i) => values.indexOf(value) !== i)),
];

/**
 * One identity per role: the coordinator, the operators and each site hold different keys (a key in two
 * roles lets whoever holds it act in both), and a site id or key is listed once.
 */
function checkIdentities(
  findings: CheckFindings,
  identities: {
    readonly coordinator: string | undefined;
    readonly admins: readonly string[];
    readonly sites: readonly { readonly id: string; readonly publicKey: string }[];
  },
): void {
  const { coordinator, admins, sites } = identities;
  const siteKeys = sites.map((site) => site.publicKey);
  if (coordinator && admins.includes(coordinator))
    findings.problems.push(
      `adminPublicKeys lists the coordinator's own public key (keyFile): give operators keys of their own (emodistill keys generate)`,
    );
  if (coordinator && siteKeys.includes(coordinator))
    findings.problems.push(`sites: a site has the coordinator's own public key (keyFile)`);
  for (const id of repeated(sites.map((site) => site.id)))
    findings.problems.push(`sites: site id "${id}" is listed twice`);
  for (const key of repeated(siteKeys))
    findings.problems.push(
      `sites: sites ${sites
        .filter((site) => site.publicKey === key)
        .map((site) => `"${site.id}"`)
        .join(' and ')} have the same public key; each site makes its own key`,
    );
  for (const site of sites.filter((s) => admins.includes(s.publicKey)))
    findings.problems.push(`sites: site "${site.id}" has an operator's key (in adminPublicKeys)`);
}

/** The plan of the first training round, checked as a site will check it (round-plan schema, then its distill settings). */
function checkFirstRoundPlan(
  findings: CheckFindings,
  training: Static<typeof FIELDS.training>,
  model: Static<typeof FIELDS.model>,
): void {
  const plan = planRound(training, 0);
  const checked = checkRoundPlan(plan);
  if (!checked.ok) {
    findings.problems.push(`training: the round plan sites would receive is invalid: ${checked.reason}`);
    return;
  }
  try {
    resolveDistillConfig({
      ...plan.distill,
      noiseDimension: model.noiseDimension,
      hiddenUnits: [...model.hiddenUnits],
    });
  } catch (error) {
    findings.problems.push(`training.distill: sites would refuse the round plan: ${messageOf(error)}`);
    return;
  }
  findings.passed.push(
    `training: round plan version ${plan.planVersion} (method ${training.method}, ${plan.localSteps} local steps per round) is valid`,
  );
}

/**
 * Validates a coordinator config without starting it: the schema (every bad field), the round plan,
 * the key file, the identities, the TLS files, the data folder and the listen address. Fields that are
 * fine are checked further even when others are not, so one run lists every problem.
 */
export async function checkCoordinatorConfig(path: string): Promise<CheckReport> {
  const findings = newFindings();
  const { fields, baseDir } = await readConfigForCheck(findings, CoordinatorConfigSchema, path, 'coordinator config');

  const keyFile = validField(FIELDS.keyFile, fields.keyFile);
  const keys = keyFile === undefined ? undefined : await checkKeyFile(findings, 'keyFile', resolve(baseDir, keyFile));
  const admins = validField(FIELDS.adminPublicKeys, fields.adminPublicKeys) ?? [];
  const sites = validField(FIELDS.sites, fields.sites) ?? [];
  checkIdentities(findings, { coordinator: keys && encodeKey(keys.publicKey), admins, sites });

  const model = validField(FIELDS.model, fields.model);
  for (const name of repeated(model?.classNames ?? []))
    findings.problems.push(`model.classNames: class "${name}" is listed twice`);
  const training = validField(FIELDS.training, fields.training);
  if (model && training) checkFirstRoundPlan(findings, training, model);

  const tls = fields.tls === undefined ? undefined : validField(FIELDS.tls, fields.tls);
  if (tls)
    await checkTlsFiles(findings, 'tls', {
      certFile: resolve(baseDir, tls.certFile),
      keyFile: resolve(baseDir, tls.keyFile),
    });
  const dataDir = validField(FIELDS.dataDir, fields.dataDir);
  if (dataDir !== undefined) await checkWritableFolder(findings, 'dataDir', resolve(baseDir, dataDir));
  const listen = validField(FIELDS.listen, fields.listen);
  if (listen) await checkPortFree(findings, 'listen', listen.host, listen.port);

  const minSites = validField(FIELDS.rounds, fields.rounds)?.minSites;
  if (minSites !== undefined && minSites > sites.length)
    findings.notes.push(
      `rounds.minSites is ${minSites} but sites lists ${sites.length}: rounds wait until enough sites are allowed (emodistill sites add, while the coordinator runs)`,
    );
  return reportOf(path, findings);
}
