import { Command, InvalidArgumentError } from 'commander';
import {
  decodeGeneratorBundle,
  readFeatureSet,
  selectBackend,
  snapshotSha256,
  splitBySpeakers,
  strictestPolicy,
  privacyBudgetBreaches,
  verifyGeneratorBundle,
  writeGeneratorBundle,
  type AdminStatus,
  type SiteView,
} from '@emodistill/core';
import { loadCoordinatorConfig, startCoordinator } from '@emodistill/coordinator';
import { adminRequest, trainingSlotFromParent } from '@emodistill/harness';
import { dirname, join } from 'node:path';
import { joinFederation, loadSiteConfig } from '@emodistill/site-agent';
import { addAuditOptions, auditToFiles, policyFromFlags, verdictLine, type AuditPolicyFlags } from './audit.js';
import { checkOutputPaths } from '../checks.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import { exitCodeOfVerdict } from '../exit-codes.js';
import type { CommandContext } from '../context.js';
import { addAdminOptions, type AdminFlags } from '../admin-client.js';
import { formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { parsePositiveInt, parsePositiveNumber } from '../options.js';
import { fetchReleasePolicy, uploadAttestation } from '../site-client.js';
import { printCheckReport } from '../config-check.js';
import { checkCoordinatorConfig } from '../check-coordinator.js';
import { checkSiteConfig } from '../check-site.js';
import { jsonOption, printResult, type JsonFlags } from '../output.js';

/** Resolves on SIGINT/SIGTERM, so servers and agents stop cleanly. */
export const untilSignal = (): Promise<string> =>
  new Promise((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve(signal))));

function describeStatus(status: AdminStatus): string {
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
  coordinator
    .command('check')
    .description(
      'validate a coordinator config without starting: every schema error (round plan included), the key file, distinct identities, TLS files, the data folder, and that the listen port is free; exit 0 when fine, 1 with every problem listed',
    )
    .requiredOption('--config <file>', 'coordinator config (JSON)')
    .addOption(jsonOption())
    .action(async (flags: JsonFlags & { config: string }) =>
      printCheckReport(context(), flags, await checkCoordinatorConfig(flags.config)),
    );
  addAdminOptions(
    coordinator
      .command('export')
      .description('download the latest global generator, signed by the coordinator with its provenance')
      .requiredOption('--out <gen.bundle>', 'generator bundle to write')
      .option(
        '--release',
        'refuse unless every site that trained the generator sent a passing audit attestation (`emodistill site audit`)',
      )
      .option(
        '--max-epsilon <ε>',
        'refuse unless every site that trained the generator did so with differential privacy within this ε per utterance (as each site reported its spending over all rounds)',
        parsePositiveNumber,
      )
      .addOption(jsonOption()),
  ).action(async (flags: AdminFlags & JsonFlags & { out: string; release?: boolean; maxEpsilon?: number }) => {
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
    const breaches = flags.maxEpsilon === undefined ? [] : privacyBudgetBreaches(bundle, flags.maxEpsilon);
    if (breaches.length > 0)
      throw new CliError(
        CLI_ERRORS.privacyBudgetNotMet,
        `not within ε ${flags.maxEpsilon}: ${breaches.join('; ')}; nothing was written to ${flags.out}`,
      );
    await writeGeneratorBundle(flags.out, bundle);
    const provenance = bundle.metadata.provenance as {
      federation?: { trainingRounds?: number; sites?: string[] };
      globalVersion?: number;
    };
    const result = {
      out: flags.out,
      url: flags.url,
      released: flags.release === true,
      globalVersion: provenance.globalVersion,
      trainingRounds: provenance.federation?.trainingRounds,
      sites: provenance.federation?.sites,
      sitePrivacy: bundle.metadata.provenance.federation?.sitePrivacy,
      weightsSha256: snapshotSha256(bundle.weights),
      signedBy: signer,
    };
    printResult(
      context(),
      flags,
      result,
      (r) =>
        `wrote ${r.out}${r.released ? ' (release: every training site attested a passing audit)' : ''}: global version ${r.globalVersion}, ${r.trainingRounds} training rounds over sites ${r.sites?.join(', ')}; weights ${r.weightsSha256.slice(0, 16)}…; signed by ${r.signedBy}`,
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
      describeStatus(
        (await adminRequest(flags, 'POST', '/admin/rounds/start', { rounds: flags.rounds })) as AdminStatus,
      ),
    ),
  );
  addAdminOptions(
    round
      .command('status')
      .description('the current round, its participants and the global version')
      .addOption(jsonOption()),
  ).action(async (flags: AdminFlags & JsonFlags) => {
    const status = (await adminRequest(flags, 'GET', '/admin/status')) as AdminStatus;
    printResult(context(), flags, status, describeStatus);
  });
  addAdminOptions(
    round.command('abort').description('abort the open round (nothing is aggregated) and cancel the planned ones'),
  ).action(async (flags: AdminFlags) =>
    context().print(describeStatus((await adminRequest(flags, 'POST', '/admin/rounds/abort')) as AdminStatus)),
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
    sites.command('list').description('sites, their keys, revocation and connection').addOption(jsonOption()),
  ).action(async (flags: AdminFlags & JsonFlags) => {
    const sites = (await adminRequest(flags, 'GET', '/admin/sites')) as SiteView[];
    printResult(context(), flags, { sites }, (r) =>
      formatTable(
        ['site', 'public key', 'state', 'session'],
        r.sites.map((s) => [s.siteId, s.publicKey, s.revoked ? 'revoked' : 'allowed', s.connected ? 'connected' : '-']),
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
    .command('check')
    .description(
      "validate a site config without joining: every schema error, the key file, the feature set against the federation's classes and feature extractor (the kit's federation.json), the audit holdout, the pinned coordinator against the kit, and that the coordinator answers signed by the pinned key and accepts this site's key; exit 0 when fine, 1 with every problem listed",
    )
    .requiredOption('--config <file>', 'site config (JSON)')
    .option(
      '--federation <file>',
      "the federation's spec from the site's kit (default: federation.json beside the config)",
    )
    .option('--offline', 'do not contact the coordinator (check local files only)')
    .addOption(jsonOption())
    .action(async (flags: JsonFlags & { config: string; federation?: string; offline?: boolean }) =>
      printCheckReport(
        context(),
        flags,
        await checkSiteConfig(flags.config, {
          ...(flags.federation && { federation: flags.federation }),
          contact: !flags.offline,
        }),
      ),
    );
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
