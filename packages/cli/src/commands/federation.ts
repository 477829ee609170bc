import { Command, InvalidArgumentError } from 'commander';
import {
  AUTH_HEADER,
  canonicalBytes,
  checkMessage,
  decodeGeneratorBundle,
  readFeatureSet,
  readKeyFile,
  selectBackend,
  signRequest,
  snapshotSha256,
  splitBySpeakers,
  strictestPolicy,
  verifyBytes,
  verifyGeneratorBundle,
  writeGeneratorBundle,
  type Attestation,
  type AuditPolicy,
  type Verdict,
} from '@emodistill/core';
import { loadCoordinatorConfig, startCoordinator, type RunnerStatus } from '@emodistill/coordinator';
import { adminRequest, trainingSlotFromParent } from '@emodistill/harness';
import { dirname, join } from 'node:path';
import { joinFederation, loadSiteConfig, type SiteConfig } from '@emodistill/site-agent';
import { addAuditOptions, auditToFiles, policyFromFlags, verdictLine, type AuditPolicyFlags } from './audit.js';
import { checkOutputPaths } from '../checks.js';
import { CLI_ERRORS, CliError, type CliErrorCode } from '../errors.js';
import { exitCodeOfVerdict } from '../exit-codes.js';
import type { CommandContext } from '../context.js';
import { addAdminOptions, type AdminFlags } from '../admin-client.js';
import { formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { parsePositiveInt } from '../options.js';

/** Resolves on SIGINT/SIGTERM, so servers and agents stop cleanly. */
const untilSignal = (): Promise<string> =>
  new Promise((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve(signal))));

function describeStatus(status: RunnerStatus & { round: (RunnerStatus['round'] & object) | null }): string {
  const round = status.round;
  const lines = [
    round
      ? `round ${round.round} (${round.kind}) ${round.state}; base version ${round.baseVersion}; deadline ${round.deadline}`
      : 'no round yet',
    `participants: ${round?.participants.join(', ') || '-'}; accepted: ${status.acceptedSites.join(', ') || '-'}; gone: ${status.droppedSites.join(', ') || '-'}`,
    `connected sites: ${status.connectedSites.join(', ') || '-'}`,
    `global version: ${status.latestVersion ? `${status.latestVersion.version} (weights ${status.latestVersion.weightsSha256.slice(0, 16)}…)` : '-'}; training rounds ${status.trainingRoundsDone}/${status.targetTrainingRounds}${status.finished ? ' (finished)' : ''}`,
  ];
  return lines.join('\n');
}

export function coordinatorCommand(context: () => CommandContext): Command {
  const coordinator = new Command('coordinator').description(
    'run the federation coordinator, or export its global generator',
  );
  coordinator
    .command('start')
    .description('listen for sites and operators; resumes any open round from its data directory')
    .requiredOption('--config <file>', 'coordinator config (JSON; see examples/coordinator.json)')
    .action(async (flags: { config: string }) => {
      const { log, print } = context();
      const config = await loadCoordinatorConfig(flags.config);
      const running = await startCoordinator(config, log);
      print(`coordinator listening on ${running.url} (data in ${config.dataDir})`);
      const signal = await untilSignal();
      log.info({ signal }, 'shutting down');
      await running.close();
    });
  addAdminOptions(
    coordinator
      .command('export')
      .description('download the latest global generator, signed by the coordinator with its provenance')
      .requiredOption('--out <gen.bundle>', 'generator bundle to write')
      .option(
        '--release',
        'refuse unless every site that trained the generator sent a passing audit attestation (`emodistill site audit`)',
      ),
  ).action(async (flags: AdminFlags & { out: string; release?: boolean }) => {
    await checkOutputPaths([{ option: '--out', path: flags.out }]);
    const bytes = (await adminRequest(
      flags,
      'GET',
      `/admin/export${flags.release ? '?release=true' : ''}`,
      undefined,
      true,
    )) as Uint8Array;
    const bundle = decodeGeneratorBundle(bytes, `export from ${flags.url}`);
    const signer = verifyGeneratorBundle(bundle);
    if (!signer)
      throw new CliError(
        CLI_ERRORS.exportUnsigned,
        `the bundle exported by ${flags.url} carries no valid signature (${bundle.metadata.signature ? 'altered after signing' : 'unsigned'}); nothing was written to ${flags.out}`,
      );
    await writeGeneratorBundle(flags.out, bundle);
    const provenance = bundle.metadata.provenance as {
      federation?: { trainingRounds?: number; sites?: string[] };
      globalVersion?: number;
    };
    context().print(
      `wrote ${flags.out}${flags.release ? ' (release: every training site attested a passing audit)' : ''}: global version ${provenance.globalVersion}, ${provenance.federation?.trainingRounds} training rounds over sites ${provenance.federation?.sites?.join(', ')}; weights ${snapshotSha256(bundle.weights).slice(0, 16)}…; signed by ${signer}`,
    );
  });
  return coordinator;
}

export function roundCommand(context: () => CommandContext): Command {
  const round = new Command('round').description('drive the rounds of a running coordinator (admin-signed requests)');
  const parseRounds = (value: string): number => {
    try {
      return parsePositiveInt(value);
    } catch {
      throw new InvalidArgumentError(`expected a positive number of rounds, got "${value}"`);
    }
  };
  addAdminOptions(
    round
      .command('start')
      .description('plan N more training rounds (the statistics round runs first if it has not)')
      .option('--rounds <n>', 'training rounds to add', parseRounds, 1),
  ).action(async (flags: AdminFlags & { rounds: number }) =>
    context().print(
      describeStatus((await adminRequest(flags, 'POST', '/admin/rounds/start', { rounds: flags.rounds })) as never),
    ),
  );
  addAdminOptions(
    round
      .command('status')
      .description('the current round, its participants and the global version')
      .option('--json', 'print JSON'),
  ).action(async (flags: AdminFlags & { json?: boolean }) => {
    const status = await adminRequest(flags, 'GET', '/admin/status');
    context().print(flags.json ? JSON.stringify(status, null, 2) : describeStatus(status as never));
  });
  addAdminOptions(
    round.command('abort').description('abort the open round (nothing is aggregated) and cancel the planned ones'),
  ).action(async (flags: AdminFlags) =>
    context().print(describeStatus((await adminRequest(flags, 'POST', '/admin/rounds/abort')) as never)),
  );
  return round;
}

/** The coordinator's rules for a site id and key (its config and admin schemas), checked before the request. */
const SITE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/** Refuses a bad `sites add` argument with one line naming it (instead of the server's schema wording). */
function checkSiteArguments(name: string, publicKey: string): void {
  const problems = [
    ...(SITE_ID_PATTERN.test(name)
      ? []
      : [`<name> ${JSON.stringify(name)} must be 1 to 64 letters, digits, "_", "." or "-"`]),
    ...(PUBLIC_KEY_PATTERN.test(publicKey)
      ? []
      : [
          `<public-key> ${JSON.stringify(publicKey.length > 60 ? `${publicKey.slice(0, 57)}…` : publicKey)} is not an Ed25519 public key: expected 44 base64 characters ending in "=" (as \`emodistill keys generate\` prints it), got ${publicKey.length} characters`,
        ]),
  ];
  if (problems.length > 0) throw new CliError(CLI_ERRORS.invalidSiteArgument, `sites add: ${problems.join('; ')}`);
}

export function sitesCommand(context: () => CommandContext): Command {
  const sites = new Command('sites').description("manage a running coordinator's allow-list (admin-signed requests)");
  addAdminOptions(
    sites.command('list').description('sites, their keys, revocation and connection').option('--json', 'print JSON'),
  ).action(async (flags: AdminFlags & { json?: boolean }) => {
    const list = (await adminRequest(flags, 'GET', '/admin/sites')) as {
      siteId: string;
      publicKey: string;
      revoked: boolean;
      connected: boolean;
    }[];
    context().print(
      flags.json
        ? JSON.stringify(list, null, 2)
        : formatTable(
            ['site', 'public key', 'state', 'session'],
            list.map((s) => [
              s.siteId,
              s.publicKey,
              s.revoked ? 'revoked' : 'allowed',
              s.connected ? 'connected' : '-',
            ]),
          ),
    );
  });
  addAdminOptions(
    sites
      .command('add')
      .description('allow a site (or replace its key and lift a revocation)')
      .argument('<name>', 'site id')
      .argument('<public-key>', 'its Ed25519 public key, base64'),
  ).action(async (name: string, publicKey: string, flags: AdminFlags) => {
    checkSiteArguments(name, publicKey);
    await adminRequest(flags, 'POST', '/admin/sites', { siteId: name, publicKey });
    context().print(`site ${name} allowed`);
  });
  addAdminOptions(
    sites
      .command('revoke')
      .description('refuse a site from now on: its session is dropped and its next update refused')
      .argument('<name>', 'site id'),
  ).action(async (name: string, flags: AdminFlags) => {
    await adminRequest(flags, 'POST', `/admin/sites/${encodeURIComponent(name)}/revoke`);
    context().print(`site ${name} revoked`);
  });
  return sites;
}

interface SiteAuditFlags extends AuditPolicyFlags {
  config: string;
  bundle?: string;
  out?: string;
  upload: boolean;
  ipc: number;
}

/** A request to the site's coordinator signed with the site key; the reply's JSON, or an error of `code` naming what failed. */
async function siteRequest(
  config: SiteConfig,
  request: {
    method: 'GET' | 'PUT';
    path: string;
    body?: string;
    what: string;
    unreachable: CliErrorCode;
    refused: CliErrorCode;
  },
): Promise<unknown> {
  const keys = await readKeyFile(config.keyFile);
  const url = `${config.coordinator.url.replace(/\/$/, '')}${request.path}`;
  const body = request.body !== undefined && { body: request.body };
  const response = await fetch(url, {
    method: request.method,
    headers: {
      ...(body && { 'content-type': 'application/json' }),
      [AUTH_HEADER]: signRequest(
        { role: 'site', id: config.siteId, method: request.method, path: request.path, ...body },
        keys.secretKey,
      ),
    },
    ...body,
  }).catch((error: Error & { cause?: Error }) => {
    throw new CliError(
      request.unreachable,
      `cannot reach the coordinator at ${config.coordinator.url} (coordinator.url of the site config) to ${request.what}: ${error.cause?.message ?? error.message}`,
      { cause: error },
    );
  });
  const reply = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok)
    throw new CliError(
      request.refused,
      `coordinator refused the request to ${request.what}: HTTP ${response.status} ${reply.code ?? ''} ${reply.message ?? ''}`.trim(),
    );
  return reply;
}

/** The federation's audit policy, signed by the coordinator whose key the site config pins. */
async function fetchReleasePolicy(config: SiteConfig): Promise<AuditPolicy> {
  const reply = await siteRequest(config, {
    method: 'GET',
    path: '/release-policy',
    what: "fetch the federation's audit policy",
    unreachable: CLI_ERRORS.releasePolicyUnavailable,
    refused: CLI_ERRORS.releasePolicyUnavailable,
  });
  const checked = checkMessage('signedReleasePolicy', reply);
  if (!checked.ok)
    throw new CliError(
      CLI_ERRORS.releasePolicyUnavailable,
      `the audit policy from ${config.coordinator.url} is malformed: ${checked.reason}`,
    );
  if (!verifyBytes(canonicalBytes(checked.message.body), checked.message.signature, config.coordinator.publicKey))
    throw new CliError(
      CLI_ERRORS.releasePolicyUnavailable,
      `the audit policy from ${config.coordinator.url} is not signed by coordinator.publicKey of the site config`,
    );
  return checked.message.body.policy;
}

/** Sends a site's signed attestation to its coordinator, which judges it under the federation's policy. */
async function uploadAttestation(
  config: SiteConfig,
  attestation: Attestation,
): Promise<{ version: number; verdict: Verdict }> {
  return (await siteRequest(config, {
    method: 'PUT',
    path: '/attestations',
    body: JSON.stringify(attestation),
    what: 'record the attestation',
    unreachable: CLI_ERRORS.attestationUndelivered,
    refused: CLI_ERRORS.attestationRefused,
  })) as { version: number; verdict: Verdict };
}

export function siteCommand(context: () => CommandContext): Command {
  const site = new Command('site').description('take part in a federation as a site');
  addAuditOptions(
    site
      .command('audit')
      .description(
        "audit the final global generator on this site's data (members: its training speakers; holdout: its auditHoldoutSpeakers) under the federation's audit policy (fetched from the coordinator; flags may only tighten it), sign the attestation and send it to the coordinator; exit 0 pass, 3 fail, 4 inconclusive",
      )
      .requiredOption('--config <file>', 'site config (JSON)')
      .option('--bundle <gen.bundle>', "generator to audit (default: the config's finalBundle)")
      .option('--out <report.json>', 'audit report (default: audit-report.json beside the bundle)')
      .option('--no-upload', 'only write the report and attestation')
      .option('--ipc <n>', 'points per class sampled from the generator', parsePositiveInt, 50),
  ).action(async (flags: SiteAuditFlags) => {
    const { print, setExitCode } = context();
    const config = await loadSiteConfig(flags.config);
    await selectBackend(flags.backend, flags.compute);
    const bundle = flags.bundle ?? config.finalBundle;
    if (!bundle) throw new CliError(CLI_ERRORS.missingOption, `${flags.config} names no finalBundle; pass --bundle`);
    if (config.auditHoldoutSpeakers.length === 0)
      throw new CliError(
        CLI_ERRORS.noHoldoutSpeakers,
        `${flags.config}: auditHoldoutSpeakers is empty; the audit needs speakers the generator never saw`,
      );
    const out = flags.out ?? join(dirname(bundle), 'audit-report.json');
    await checkOutputPaths([flags.out ? { option: '--out', path: flags.out } : undefined]);
    // The federation's policy is the floor: a site may tighten it, never loosen it (the coordinator would refuse).
    const federationPolicy = flags.upload ? await fetchReleasePolicy(config) : undefined;
    const policy = federationPolicy
      ? strictestPolicy(policyFromFlags(flags, federationPolicy), federationPolicy)
      : policyFromFlags(flags);
    const all = await readFeatureSet(config.features);
    const { train: members, test: holdout } = splitBySpeakers(all, config.auditHoldoutSpeakers);
    const { report, htmlPath, attestation } = await auditToFiles({
      ...flags,
      members,
      holdout,
      membersSource: config.features,
      bundle,
      out,
      key: config.keyFile,
      policy,
    });
    print([verdictLine(report), ...report.summary, `report: ${out} and ${htmlPath}`].join('\n'));
    if (flags.upload && attestation) {
      const recorded = await uploadAttestation(config, attestation);
      print(
        `attestation of global version ${recorded.version} recorded by the coordinator (${recorded.verdict.toUpperCase()})`,
      );
    }
    setExitCode(exitCodeOfVerdict(report.verdict.verdict));
  });
  site
    .command('join')
    .description(
      'connect to the coordinator and train in its rounds until stopped (or until the federation finishes with --exit-when-done)',
    )
    .requiredOption('--config <file>', 'site config (JSON; see examples/site.json)')
    .option('--exit-when-done', 'exit once the coordinator announces the end of the planned rounds')
    .action(async (flags: { config: string; exitWhenDone?: boolean }) => {
      const { log, print } = context();
      const config = await loadSiteConfig(flags.config);
      const progress = createProgress(`site ${config.siteId}`);
      const trainingSlot = trainingSlotFromParent();
      const agent = await joinFederation(config, {
        log,
        ...(trainingSlot && { trainingSlot }),
        onProgress: ({ round, step, steps, losses }) =>
          progress.update(step, steps, `round ${round}${losses ? ` W ${losses.wasserstein.toFixed(2)}` : ''}`),
      });
      const outcome = await Promise.race([
        agent.finished,
        ...(flags.exitWhenDone ? [] : [untilSignal().then(() => undefined)]),
      ]).finally(() => progress.stop());
      await agent.stop();
      if (outcome)
        print(
          `federation finished at global version ${outcome.version} (sha256 ${outcome.sha256.slice(0, 16)}…)${outcome.finalBundle ? `; wrote ${outcome.finalBundle}` : ''}`,
        );
    });
  return site;
}
