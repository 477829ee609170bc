import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  assertBundleMatches,
  disposeGenerator,
  loadGenerator,
  readFeatureSet,
  readGeneratorBundle,
  readKeyFile,
  sampleFeatureSet,
  selectBackend,
  type BackendName,
  type ComputePath,
  type FeatureSet,
} from '@emodistill/core';
import {
  DEFAULT_GATE,
  renderAuditHtml,
  runAudit,
  signAttestation,
  type Attestation,
  type AuditReport,
} from '@emodistill/privacy-audit';
import { checkOutputPaths, requireRows } from '../checks.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';

export function parseFraction(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return parsed;
}

interface AuditFlags {
  members: string;
  holdout: string;
  bundle?: string;
  synthetic?: string;
  ipc: number;
  out: string;
  key?: string;
  maxAuc: number;
  maxMemorisationExcess: number;
  resamples: number;
  backend: BackendName;
  compute: ComputePath;
}

/** What one audit run needs; shared by `audit` and `site audit`. */
export interface AuditRun {
  readonly members: FeatureSet;
  readonly holdout: FeatureSet;
  readonly membersSource: string;
  readonly bundle?: string;
  readonly synthetic?: string;
  readonly ipc: number;
  readonly out: string;
  readonly key?: string;
  readonly maxAuc: number;
  readonly maxMemorisationExcess: number;
  readonly resamples: number;
}

/** The audited set, the file it came from and the report's label for it: the file name only, never a path of this machine. */
async function syntheticSetFor(run: AuditRun): Promise<{ set: FeatureSet; path: string; subject: string }> {
  if (run.bundle && run.synthetic)
    throw new CliError(CLI_ERRORS.conflictingOptions, 'give either --bundle or --synthetic, not both');
  if (run.synthetic)
    return { set: await readFeatureSet(run.synthetic), path: run.synthetic, subject: basename(run.synthetic) };
  if (!run.bundle)
    throw new CliError(CLI_ERRORS.missingOption, 'audit needs --bundle <gen.bundle> or --synthetic <synth.arrow>');
  const bundle = await readGeneratorBundle(run.bundle);
  assertBundleMatches(bundle, run.members, run.membersSource);
  const generator = loadGenerator(bundle, run.bundle);
  try {
    const subject = basename(run.bundle);
    return {
      set: sampleFeatureSet(generator, { ipc: run.ipc, prior: 'balanced', seed: 1 }, `synthetic:${subject}`),
      path: run.bundle,
      subject,
    };
  } finally {
    disposeGenerator(generator);
  }
}

const sha256Of = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/**
 * Audits, writes report.json and report.html, and with a key a signed attestation beside them.
 * @returns the report, its HTML path and the attestation (when signed)
 */
export async function auditToFiles(
  run: AuditRun,
): Promise<{ report: AuditReport; htmlPath: string; attestation?: Attestation; attestationPath?: string }> {
  const shared = [...new Set(run.holdout.speakers)].filter((speaker) => run.members.speakers.includes(speaker));
  if (shared.length)
    throw new CliError(
      CLI_ERRORS.speakerOverlap,
      `holdout speakers ${shared.join(', ')} are also in ${run.membersSource}; audit-holdout speakers must be unseen`,
    );
  const subjectPath = run.bundle ?? run.synthetic;
  // A file unreadable now is reported, coded, when it is read below (and one that appears meanwhile counts as changed).
  const hashBefore = subjectPath && run.key ? await sha256Of(subjectPath).catch(() => undefined) : undefined;
  const { set, path, subject } = await syntheticSetFor(run);
  const report = runAudit(set, run.members, run.holdout, {
    subject,
    resamples: run.resamples,
    gate: { maxMembershipAucUpper: run.maxAuc, maxMemorisationExcess: run.maxMemorisationExcess },
  });
  await writeFile(run.out, `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = `${run.out.replace(/\.json$/, '')}.html`;
  await writeFile(htmlPath, renderAuditHtml(report));
  if (!run.key) return { report, htmlPath };
  const subjectSha256 = await sha256Of(path);
  // The attestation must name the bytes that were audited.
  if (subjectSha256 !== hashBefore)
    throw new CliError(
      CLI_ERRORS.auditedFileChanged,
      `${path} changed while it was being audited; run the audit again`,
    );
  const attestationPath = `${run.out.replace(/\.json$/, '')}.attestation.json`;
  const attestation = signAttestation(report, subjectSha256, await readKeyFile(run.key));
  await writeFile(attestationPath, `${JSON.stringify(attestation, null, 2)}\n`);
  return { report, htmlPath, attestation, attestationPath };
}

/** The release gate's thresholds, the bootstrap and the compute options, shared by `audit` and `site audit`. */
export function addAuditOptions(command: Command): Command {
  return command
    .option(
      '--max-auc <auc>',
      'gate: upper 95 % CI bound of membership AUC',
      parseFraction,
      DEFAULT_GATE.maxMembershipAucUpper,
    )
    .option(
      '--max-memorisation-excess <share>',
      'gate: allowed memorised share above the holdout baseline',
      parseFraction,
      DEFAULT_GATE.maxMemorisationExcess,
    )
    .option('--resamples <n>', 'bootstrap resamples', parsePositiveInt, 1000)
    .addOption(backendOption())
    .addOption(computeOption());
}

export function auditCommand(context: () => CommandContext): Command {
  return addAuditOptions(
    new Command('audit')
      .description(
        'measure speaker-identity leakage of a generator (or synthetic set) against real member and holdout data; exit 0 pass, 3 fail',
      )
      .requiredOption('--members <train.arrow>', 'the real data the generator was trained on')
      .requiredOption('--holdout <holdout.arrow>', 'real data of audit-holdout speakers the generator never saw')
      .option('--bundle <gen.bundle>', 'generator to audit (sampled at --ipc per class)')
      .option('--synthetic <synth.arrow>', 'or a synthetic set to audit')
      .option('--ipc <n>', 'points per class sampled from --bundle', parsePositiveInt, 50)
      .requiredOption('--out <report.json>', 'audit report (JSON; the HTML page is written beside it)')
      .option('--key <site.key>', 'sign an attestation with this site key (written beside the report)'),
  ).action(async (flags: AuditFlags) => {
    const { log, print, setExitCode } = context();
    await checkOutputPaths([{ option: '--out', path: flags.out }]);
    // The key signs the attestation at the end: a missing one must stop the audit before it runs.
    if (flags.key) await readKeyFile(flags.key);
    await selectBackend(flags.backend, flags.compute);
    const [members, holdout] = await Promise.all([readFeatureSet(flags.members), readFeatureSet(flags.holdout)]);
    requireRows(members, `--members ${flags.members}`);
    requireRows(holdout, `--holdout ${flags.holdout}`);
    const { report, htmlPath, attestationPath } = await auditToFiles({
      ...flags,
      members,
      holdout,
      membersSource: flags.members,
    });
    if (attestationPath) print(`signed attestation: ${attestationPath}`);
    log.info({ passed: report.gate.passed, out: flags.out }, 'audit finished');
    print([...report.summary, `report: ${flags.out} and ${htmlPath}`].join('\n'));
    if (!report.gate.passed) setExitCode(EXIT_CODES.gateFailed);
  });
}
