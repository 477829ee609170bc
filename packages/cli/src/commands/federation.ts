import { Command, InvalidArgumentError } from 'commander';
import { decodeGeneratorBundle, snapshotSha256, verifyGeneratorBundle, writeGeneratorBundle } from '@emodistill/core';
import { loadCoordinatorConfig, startCoordinator, type RunnerStatus } from '@emodistill/coordinator';
import { joinFederation, loadSiteConfig } from '@emodistill/site-agent';
import type { CommandContext } from '../context.js';
import { addAdminOptions, adminRequest, type AdminFlags } from '../admin-client.js';
import { formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { parsePositiveInt } from '../options.js';

/** Resolves on SIGINT/SIGTERM, so servers and agents stop cleanly. */
const untilSignal = (): Promise<string> => new Promise((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve(signal))));

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
  const coordinator = new Command('coordinator').description('run the federation coordinator, or export its global generator');
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
      .requiredOption('--out <gen.bundle>', 'generator bundle to write'),
  ).action(async (flags: AdminFlags & { out: string }) => {
    const bytes = (await adminRequest(flags, 'GET', '/admin/export', undefined, true)) as Uint8Array;
    const bundle = decodeGeneratorBundle(bytes, `export from ${flags.url}`);
    const signer = verifyGeneratorBundle(bundle);
    if (!signer) throw new Error('the exported bundle carries no valid coordinator signature');
    await writeGeneratorBundle(flags.out, bundle);
    const provenance = bundle.metadata.provenance as { federation?: { trainingRounds?: number; sites?: string[] }; globalVersion?: number };
    context().print(`wrote ${flags.out}: global version ${provenance.globalVersion}, ${provenance.federation?.trainingRounds} training rounds over sites ${provenance.federation?.sites?.join(', ')}; weights ${snapshotSha256(bundle.weights).slice(0, 16)}…; signed by ${signer}`);
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
  addAdminOptions(round.command('start').description('plan N more training rounds (the statistics round runs first if it has not)').option('--rounds <n>', 'training rounds to add', parseRounds, 1)).action(
    async (flags: AdminFlags & { rounds: number }) => context().print(describeStatus((await adminRequest(flags, 'POST', '/admin/rounds/start', { rounds: flags.rounds })) as never)),
  );
  addAdminOptions(round.command('status').description('the current round, its participants and the global version').option('--json', 'print JSON')).action(async (flags: AdminFlags & { json?: boolean }) => {
    const status = await adminRequest(flags, 'GET', '/admin/status');
    context().print(flags.json ? JSON.stringify(status, null, 2) : describeStatus(status as never));
  });
  addAdminOptions(round.command('abort').description('abort the open round (nothing is aggregated) and cancel the planned ones')).action(async (flags: AdminFlags) =>
    context().print(describeStatus((await adminRequest(flags, 'POST', '/admin/rounds/abort')) as never)),
  );
  return round;
}

export function sitesCommand(context: () => CommandContext): Command {
  const sites = new Command('sites').description("manage a running coordinator's allow-list (admin-signed requests)");
  addAdminOptions(sites.command('list').description('sites, their keys, revocation and connection').option('--json', 'print JSON')).action(async (flags: AdminFlags & { json?: boolean }) => {
    const list = (await adminRequest(flags, 'GET', '/admin/sites')) as { siteId: string; publicKey: string; revoked: boolean; connected: boolean }[];
    context().print(flags.json ? JSON.stringify(list, null, 2) : formatTable(['site', 'public key', 'state', 'session'], list.map((s) => [s.siteId, s.publicKey, s.revoked ? 'revoked' : 'allowed', s.connected ? 'connected' : '-'])));
  });
  addAdminOptions(sites.command('add').description('allow a site (or replace its key and lift a revocation)').argument('<name>', 'site id').argument('<public-key>', 'its Ed25519 public key, base64')).action(
    async (name: string, publicKey: string, flags: AdminFlags) => {
      await adminRequest(flags, 'POST', '/admin/sites', { siteId: name, publicKey });
      context().print(`site ${name} allowed`);
    },
  );
  addAdminOptions(sites.command('revoke').description('refuse a site from now on: its session is dropped and its next update refused').argument('<name>', 'site id')).action(async (name: string, flags: AdminFlags) => {
    await adminRequest(flags, 'POST', `/admin/sites/${encodeURIComponent(name)}/revoke`);
    context().print(`site ${name} revoked`);
  });
  return sites;
}

export function siteCommand(context: () => CommandContext): Command {
  const site = new Command('site').description('take part in a federation as a site');
  site
    .command('join')
    .description('connect to the coordinator and train in its rounds until stopped (or until the federation finishes with --exit-when-done)')
    .requiredOption('--config <file>', 'site config (JSON; see examples/site.json)')
    .option('--exit-when-done', 'exit once the coordinator announces the end of the planned rounds')
    .action(async (flags: { config: string; exitWhenDone?: boolean }) => {
      const { log, print } = context();
      const config = await loadSiteConfig(flags.config);
      const progress = createProgress(`site ${config.siteId}`);
      const agent = await joinFederation(config, {
        log,
        onProgress: ({ round, step, steps, losses }) => progress.update(step, steps, `round ${round}${losses ? ` W ${losses.wasserstein.toFixed(2)}` : ''}`),
      });
      const outcome = await Promise.race([agent.finished, ...(flags.exitWhenDone ? [] : [untilSignal().then(() => undefined)])]).finally(() => progress.stop());
      await agent.stop();
      if (outcome) print(`federation finished at global version ${outcome.version} (sha256 ${outcome.sha256.slice(0, 16)}…)${outcome.finalBundle ? `; wrote ${outcome.finalBundle}` : ''}`);
    });
  return site;
}

