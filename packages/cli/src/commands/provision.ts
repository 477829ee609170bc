import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Value } from '@sinclair/typebox/value';
import {
  encodeKey,
  generateKeyPair,
  readFeatureSet,
  readJsonFile,
  validateConfig,
  writeKeyFile,
} from '@emodistill/core';
import { CoordinatorConfigSchema } from '@emodistill/coordinator';
import { checkTlsFiles, newFindings } from '../config-check.js';
import type { CommandContext } from '../context.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import { FEDERATION_SPEC_FILE, federationSpecOf, type FederationSpec } from '../federation-spec.js';
import { parsePositiveInt, portParser } from '../options.js';
import { jsonOption, printResult, type JsonFlags } from '../output.js';
import { SITE_KIT_FILES, siteConfigTemplate, siteKitReadme } from '../site-kit.js';

/** The coordinator config's own rules for a site id and a public key (one definition, its schema's). */
const SITE_FIELDS = CoordinatorConfigSchema.properties.sites.items.properties;

/** The kit's layout under --out. */
const KIT = {
  coordinatorDir: 'coordinator',
  coordinatorConfig: 'coordinator.json',
  coordinatorKey: 'coordinator.key',
  dataDir: 'data',
  tlsCert: 'tls-cert.pem',
  tlsKey: 'tls-key.pem',
  operatorDir: 'operator',
  adminKey: 'admin.key',
  sitesDir: 'sites',
} as const;

interface InitFlags extends JsonFlags {
  sites: string[];
  url: URL;
  featuresFrom: string;
  out: string;
  tlsCert?: string;
  tlsKey?: string;
  siteKeys?: string;
  listenHost: string;
  listenPort?: number;
  rounds: number;
  minSites?: number;
}

function parseSiteIds(value: string): string[] {
  const ids = value.split(',').map((id) => id.trim());
  const bad = ids.filter((id) => !Value.Check(SITE_FIELDS.id, id));
  if (bad.length > 0)
    throw new InvalidArgumentError(
      `site ids must be 1 to 64 letters, digits, "_", "." or "-"; got ${bad.map((id) => JSON.stringify(id)).join(', ')}`,
    );
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) throw new InvalidArgumentError(`site ${JSON.stringify(twice[0])} is listed twice`);
  return ids;
}

function parseCoordinatorUrl(value: string): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash)
    throw new InvalidArgumentError(
      `expected the URL sites use to reach the coordinator, http(s)://host[:port] with no path, got "${value}"`,
    );
  return url;
}

function parseRounds(value: string): number {
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 0)
    throw new InvalidArgumentError(`expected a number of rounds ≥ 0, got "${value}"`);
  return rounds;
}

/** The port a URL names, or its scheme's. */
const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/** `--site-keys`: a JSON object of site id → public key, for sites of `--sites` only. */
async function readSiteKeys(path: string, sites: readonly string[]): Promise<Map<string, string>> {
  const raw = await readJsonFile(path, '--site-keys file');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CliError(
      CLI_ERRORS.invalidSiteArgument,
      `--site-keys ${path}: expected a JSON object of site id → public key, e.g. {"${sites[0]}": "<public key>"}`,
    );
  const problems = Object.entries(raw).flatMap(([id, key]) => [
    ...(sites.includes(id) ? [] : [`"${id}" is not one of --sites (${sites.join(', ')})`]),
    ...(Value.Check(SITE_FIELDS.publicKey, key)
      ? []
      : [
          `the key of "${id}" is not an Ed25519 public key (44 base64 characters ending in "=", as emodistill keys generate prints it)`,
        ]),
  ]);
  if (problems.length > 0)
    throw new CliError(CLI_ERRORS.invalidSiteArgument, `--site-keys ${path}: ${problems.join('; ')}`);
  const keys = new Map(Object.entries(raw as Record<string, string>));
  const shared = [...keys].filter(([id, key]) => [...keys].some(([other, k]) => other !== id && k === key));
  if (shared.length > 0)
    throw new CliError(
      CLI_ERRORS.invalidSiteArgument,
      `--site-keys ${path}: sites ${shared.map(([id]) => id).join(' and ')} have the same public key; each site makes its own`,
    );
  return keys;
}

/** Refuses files of the kit that exist already, naming the keys among them (keys above all are never overwritten). */
async function refuseExisting(paths: {
  readonly keys: readonly string[];
  readonly others: readonly string[];
}): Promise<void> {
  const existing = async (list: readonly string[]): Promise<string[]> =>
    (
      await Promise.all(list.map(async (path) => ((await stat(path).catch(() => undefined)) ? path : undefined)))
    ).filter((path) => path !== undefined);
  const keys = await existing(paths.keys);
  const others = await existing(paths.others);
  if (keys.length + others.length === 0) return;
  const named = [...keys, ...(others.length > 3 ? [`${others.length} other kit files (${others[0]}, …)`] : others)];
  throw new CliError(
    CLI_ERRORS.kitExists,
    `${named.join(', ')} already exist${keys.length + others.length === 1 ? 's' : ''}: federation init never overwrites a kit, and above all not its keys (a new coordinator key would cut off every site that pinned the old one); choose another --out, or move the old kit away deliberately`,
  );
}

const writeNew = (path: string, text: string, mode = 0o644): Promise<void> =>
  writeFile(path, text, { flag: 'wx', mode });
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface InitResult {
  readonly out: string;
  readonly coordinator: { readonly config: string; readonly key: string; readonly publicKey: string };
  readonly operator: { readonly key: string; readonly publicKey: string };
  readonly sites: readonly { readonly id: string; readonly kit: string; readonly publicKey: string | null }[];
  readonly spec: FederationSpec;
}

function describeInit(result: InitResult): string {
  const waiting = result.sites.filter((site) => site.publicKey === null).map((site) => site.id);
  const url = result.spec.coordinator.url;
  return [
    `federation kits in ${result.out} for ${result.sites.length} sites`,
    `  coordinator: ${result.coordinator.config} (its key ${result.coordinator.key}, public key ${result.coordinator.publicKey})`,
    `  operator:    ${result.operator.key} (public key ${result.operator.publicKey}, in adminPublicKeys)`,
    ...result.sites.map(
      (site) =>
        `  site ${site.id}: ${site.kit}${site.publicKey ? ` (allowed with key ${site.publicKey})` : ' (key to come from the site)'}`,
    ),
    'next:',
    `  1. send each site its kit folder; it makes its own key (emodistill keys generate) and sends back its public key`,
    `  2. on the coordinator's host: emodistill coordinator check --config ${KIT.coordinatorConfig}, then emodistill coordinator start --config ${KIT.coordinatorConfig}`,
    ...(waiting.length > 0
      ? [
          `  3. allow each site once its public key arrives (confirm it with the site by another channel): emodistill sites add <site> <public-key> --url ${url} --admin-key ${result.operator.key}   (waiting for: ${waiting.join(', ')})`,
        ]
      : ['  3. every site is allowed already (--site-keys)']),
    `  4. start rounds: emodistill round start --rounds <n> --url ${url} --admin-key ${result.operator.key} (or set rounds.auto)`,
  ].join('\n');
}

async function initFederation(flags: InitFlags): Promise<InitResult> {
  if (flags.url.protocol === 'https:' && !(flags.tlsCert && flags.tlsKey))
    throw new CliError(
      CLI_ERRORS.missingOption,
      `--url ${flags.url.origin} is https: give the coordinator's certificate and key with --tls-cert and --tls-key (PEM), or use an http:// URL`,
    );
  if (flags.url.protocol === 'http:' && (flags.tlsCert || flags.tlsKey))
    throw new CliError(
      CLI_ERRORS.conflictingOptions,
      `--tls-cert/--tls-key need an https:// --url, got ${flags.url.origin}`,
    );
  if (flags.minSites !== undefined && flags.minSites > flags.sites.length)
    throw new CliError(
      CLI_ERRORS.conflictingOptions,
      `--min-sites ${flags.minSites} is more than the ${flags.sites.length} sites of --sites: no round could close`,
    );
  if (flags.tlsCert && flags.tlsKey) {
    const findings = newFindings();
    await checkTlsFiles(findings, '--tls-cert/--tls-key', { certFile: flags.tlsCert, keyFile: flags.tlsKey });
    if (findings.problems.length > 0) throw new CliError(CLI_ERRORS.tlsFilesUnusable, findings.problems.join('; '));
  }
  const set = await readFeatureSet(flags.featuresFrom);
  if (set.classNames.length < 2)
    throw new CliError(
      CLI_ERRORS.missingOption,
      `--features-from ${flags.featuresFrom} names ${set.classNames.length} class (${set.classNames.join(', ')}); a federation needs at least 2`,
    );
  const siteKeys = flags.siteKeys ? await readSiteKeys(flags.siteKeys, flags.sites) : new Map<string, string>();

  const out = resolve(flags.out);
  const coordinatorDir = join(out, KIT.coordinatorDir);
  const operatorDir = join(out, KIT.operatorDir);
  const siteDir = (id: string): string => join(out, KIT.sitesDir, id);
  const tls = flags.url.protocol === 'https:';
  const sitePaths = flags.sites.flatMap((id) => [
    join(siteDir(id), SITE_KIT_FILES.config),
    join(siteDir(id), FEDERATION_SPEC_FILE),
    join(siteDir(id), SITE_KIT_FILES.readme),
    ...(tls ? [join(siteDir(id), SITE_KIT_FILES.certificate)] : []),
  ]);
  const coordinatorPaths = {
    config: join(coordinatorDir, KIT.coordinatorConfig),
    key: join(coordinatorDir, KIT.coordinatorKey),
    tlsCert: join(coordinatorDir, KIT.tlsCert),
    tlsKey: join(coordinatorDir, KIT.tlsKey),
  };
  const adminKeyPath = join(operatorDir, KIT.adminKey);
  await refuseExisting({
    keys: [coordinatorPaths.key, adminKeyPath, ...(tls ? [coordinatorPaths.tlsKey] : [])],
    others: [coordinatorPaths.config, ...(tls ? [coordinatorPaths.tlsCert] : []), ...sitePaths],
  });

  const coordinatorKeys = generateKeyPair();
  const adminKeys = generateKeyPair();
  const coordinatorPublicKey = encodeKey(coordinatorKeys.publicKey);
  // A complete config: every setting written out with its default, for the operator to review.
  const config = validateConfig(
    CoordinatorConfigSchema,
    {
      listen: { host: flags.listenHost, port: flags.listenPort ?? portOf(flags.url) },
      dataDir: KIT.dataDir,
      keyFile: KIT.coordinatorKey,
      adminPublicKeys: [encodeKey(adminKeys.publicKey)],
      sites: flags.sites.flatMap((id) => {
        const publicKey = siteKeys.get(id);
        return publicKey ? [{ id, publicKey }] : [];
      }),
      model: { classNames: [...set.classNames], featureDimension: set.dimension },
      training: {},
      strategy: {},
      rounds: { auto: flags.rounds, minSites: flags.minSites ?? flags.sites.length },
      limits: {},
      auditPolicy: {},
      ...(tls && { tls: { certFile: KIT.tlsCert, keyFile: KIT.tlsKey } }),
    },
    `the coordinator config for --features-from ${flags.featuresFrom}`,
  );
  const spec = federationSpecOf({ url: flags.url.origin, coordinatorPublicKey, set });

  await mkdir(coordinatorDir, { recursive: true });
  await mkdir(operatorDir, { recursive: true });
  await writeKeyFile(coordinatorPaths.key, coordinatorKeys);
  await writeKeyFile(adminKeyPath, adminKeys);
  if (flags.tlsCert && flags.tlsKey) {
    await copyFile(flags.tlsCert, coordinatorPaths.tlsCert, constants.COPYFILE_EXCL);
    await copyFile(flags.tlsKey, coordinatorPaths.tlsKey, constants.COPYFILE_EXCL);
    await chmod(coordinatorPaths.tlsKey, 0o600);
  }
  await writeNew(coordinatorPaths.config, json(config));
  for (const id of flags.sites) {
    await mkdir(siteDir(id), { recursive: true });
    await writeNew(join(siteDir(id), FEDERATION_SPEC_FILE), json(spec));
    await writeNew(join(siteDir(id), SITE_KIT_FILES.config), json(siteConfigTemplate(id, spec)));
    await writeNew(join(siteDir(id), SITE_KIT_FILES.readme), siteKitReadme(id, spec, tls));
    if (flags.tlsCert)
      await copyFile(flags.tlsCert, join(siteDir(id), SITE_KIT_FILES.certificate), constants.COPYFILE_EXCL);
  }
  return {
    out: flags.out,
    coordinator: { config: coordinatorPaths.config, key: coordinatorPaths.key, publicKey: coordinatorPublicKey },
    operator: { key: adminKeyPath, publicKey: encodeKey(adminKeys.publicKey) },
    sites: flags.sites.map((id) => ({ id, kit: siteDir(id), publicKey: siteKeys.get(id) ?? null })),
    spec,
  };
}

const WHY_NO_SITE_KEYS = `
Who holds which key:
  The operator gets the coordinator's key (kits/coordinator/) and an operator (admin) key
  (kits/operator/), both mode 0600 and never overwritten. No site key is made here: each site runs
  \`emodistill keys generate\` itself and sends back only its public key, which the operator allows
  with \`emodistill sites add <site> <public-key>\` (while the coordinator runs) or, when the keys
  arrive first, with --site-keys. An operator who held a site's secret key could sign that site's
  model updates and audit attestations, so the release gate could no longer tell the site's word from
  the operator's.

What each site kit holds (kits/sites/<site>/): federation.json (the classes in model order, the
feature extractor, the coordinator's URL and public key, which the site pins), a site.json template
and a README.md of the site's next steps.

Then: \`emodistill coordinator check --config kits/coordinator/coordinator.json\` and, at each site,
\`emodistill site check --config site.json\` validate everything without starting.
`;

export function federationCommand(context: () => CommandContext): Command {
  const federation = new Command('federation').description('provision a federation: keys, configs and site kits');
  federation
    .command('init')
    .description(
      "make the coordinator's and the operator's keys, a complete coordinator config and one kit per site (its config template, the federation's spec and a README); no site key is made",
    )
    .requiredOption('--sites <ids>', 'site ids, comma-separated (e.g. hospital-a,lab-b)', parseSiteIds)
    .requiredOption(
      '--url <url>',
      'the URL sites use to reach the coordinator, http(s)://host[:port]',
      parseCoordinatorUrl,
    )
    .requiredOption(
      '--features-from <file.arrow>',
      "a feature set with the federation's classes (in model order) and feature extractor (a sample is enough)",
    )
    .requiredOption('--out <folder>', 'folder for the kits (files in it are never overwritten)')
    .option(
      '--tls-cert <file.pem>',
      "the coordinator's TLS certificate (for an https URL; copied into its kit and the site kits)",
    )
    .option(
      '--tls-key <file.pem>',
      "the certificate's private key (for an https URL; copied into the coordinator's kit, mode 0600)",
    )
    .option(
      '--site-keys <file.json>',
      'sites\' public keys already received, {"<site>": "<public key>"}: allowed in the config',
    )
    .option('--listen-host <host>', 'address the coordinator listens on', '0.0.0.0')
    .option('--listen-port <port>', "port the coordinator listens on (default: the URL's)", portParser(false))
    .option(
      '--rounds <n>',
      'training rounds to run once enough sites connect (0: wait for `emodistill round start`)',
      parseRounds,
      0,
    )
    .addOption(
      new Option('--min-sites <n>', 'accepted updates a round needs (default: every site)').argParser(parsePositiveInt),
    )
    .addOption(jsonOption())
    .addHelpText('after', WHY_NO_SITE_KEYS)
    .action(async (flags: InitFlags) => {
      printResult(context(), flags, await initFederation(flags), describeInit);
    });
  return federation;
}
