import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  assertBundleMatches,
  DEFAULT_AUDIT_POLICY,
  disposeGenerator,
  loadGenerator,
  readFeatureSet,
  readGeneratorBundle,
  readKeyFile,
  sampleFeatureSet,
  selectBackend,
  type AuditPolicy,
  type BackendName,
  type ComputePath,
  type FeatureSet,
} from '@emodistill/core';
import {
  renderAuditHtml,
  runAudit,
  speakersNeededSentence,
  signAttestation,
  type Attestation,
  type AuditReport,
} from '@emodistill/privacy-audit';
import { checkOutputPaths, requireRows } from '../checks.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import type { CommandContext } from '../context.js';
import { exitCodeOfVerdict } from '../exit-codes.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';
import { jsonOption, printResult, writeJsonFile } from '../output.js';

export function parseFraction(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return parsed;
}

/** The policy flags as given: unset ones take the base policy's value (the default, or the federation's). */
export interface AuditPolicyFlags {
  maxAuc?: number;
  maxMemorisationExcess?: number;
  permutations?: number;
  resamples: number;
  backend: BackendName;
  compute: ComputePath;
}

interface AuditFlags extends AuditPolicyFlags {
  members: string;
  holdout: string;
  bundle?: string;
  synthetic?: string;
  ipc: number;
  out: string;
  key?: string;
  json?: boolean;
}

/** `base` with the thresholds the command line sets. */
export function policyFromFlags(flags: AuditPolicyFlags, base: AuditPolicy = DEFAULT_AUDIT_POLICY): AuditPolicy {
  return {
    ...base,
    ...(flags.maxAuc !== undefined && { maxMembershipAuc: flags.maxAuc }),
    ...(flags.maxMemorisationExcess !== undefined && { maxMemorisationExcess: flags.maxMemorisationExcess }),
    ...(flags.permutations !== undefined && { permutations: flags.permutations }),
  };
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
  readonly policy: AuditPolicy;
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
    policy: run.policy,
  });
  await writeJsonFile(run.out, report);
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
  await writeJsonFile(attestationPath, attestation);
  return { report, htmlPath, attestation, attestationPath };
}

/** The verdict's thresholds, the bootstrap and the compute options, shared by `audit` and `site audit`. */
export function addAuditOptions(command: Command): Command {
  return command
    .option(
      '--max-auc <auc>',
      `τ: a membership AUC upper bound within it passes, a lower bound above it fails (default ${DEFAULT_AUDIT_POLICY.maxMembershipAuc})`,
      parseFraction,
    )
    .option(
      '--max-memorisation-excess <share>',
      `allowed copied share above its baseline (the members' own) (default ${DEFAULT_AUDIT_POLICY.maxMemorisationExcess})`,
      parseFraction,
    )
    .option(
      '--permutations <n>',
      `speaker relabellings of the permutation null that gives the power limit (≥ 200; default ${DEFAULT_AUDIT_POLICY.permutations})`,
      parsePermutations,
    )
    .option('--resamples <n>', 'bootstrap resamples', parsePositiveInt, 1000)
    .addOption(backendOption())
    .addOption(computeOption());
}

function parsePermutations(value: string): number {
  const parsed = parsePositiveInt(value);
  if (parsed < 200) throw new InvalidArgumentError(`expected at least 200 permutations, got ${parsed}`);
  return parsed;
}

/** The verdict, its reason and (when inconclusive) what a pass would need: the line a privacy officer reads first. */
export function verdictLine(report: AuditReport): string {
  return `verdict: ${report.verdict.verdict.toUpperCase()}. ${report.verdict.reason}${speakersNeededSentence(report.verdict)}`;
}

export function auditCommand(context: () => CommandContext): Command {
  return addAuditOptions(
    new Command('audit')
      .description(
        'measure speaker-identity leakage of a generator (or synthetic set) against real member and holdout data and give a verdict by rule; exit 0 pass, 3 fail, 4 inconclusive (too few holdout speakers to pass anything)',
      )
      .requiredOption('--members <train.arrow>', 'the real data the generator was trained on')
      .requiredOption('--holdout <holdout.arrow>', 'real data of audit-holdout speakers the generator never saw')
      .option('--bundle <gen.bundle>', 'generator to audit (sampled at --ipc per class)')
      .option('--synthetic <synth.arrow>', 'or a synthetic set to audit')
      .option('--ipc <n>', 'points per class sampled from --bundle', parsePositiveInt, 50)
      .requiredOption('--out <report.json>', 'audit report (JSON; the HTML page is written beside it)')
      .option('--key <site.key>', 'sign an attestation with this site key (written beside the report)')
      .addOption(jsonOption()),
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
      policy: policyFromFlags(flags),
    });
    log.info({ verdict: report.verdict.verdict, out: flags.out }, 'audit finished');
    const result = {
      subject: report.subject,
      out: flags.out,
      html: htmlPath,
      ...(attestationPath && { attestation: attestationPath }),
      verdict: report.verdict,
      counts: report.counts,
      utility: report.utility,
      summary: report.summary,
    };
    printResult({ print }, flags, result, (r) =>
      [
        ...(r.attestation ? [`signed attestation: ${r.attestation}`] : []),
        verdictLine(report),
        ...r.summary,
        `report: ${r.out} and ${r.html}`,
      ].join('\n'),
    );
    setExitCode(exitCodeOfVerdict(report.verdict.verdict));
  });
}
