import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import {
  assertBundleMatches,
  EmodistillError,
  ERROR_CODES,
  loadGenerator,
  readFeatureSet,
  readGeneratorBundle,
  readKeyFile,
  sampleFeatureSet,
  selectBackend,
  type BackendName,
  type FeatureSet,
} from '@emodistill/core';
import { DEFAULT_GATE, renderAuditHtml, runAudit, signAttestation } from '@emodistill/privacy-audit';
import type { CommandContext } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { backendOption, parsePositiveInt } from '../options.js';

function parseFraction(value: string): number {
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
}

async function syntheticSetFor(flags: AuditFlags, members: FeatureSet): Promise<{ set: FeatureSet; subject: string }> {
  if (flags.bundle && flags.synthetic) throw new EmodistillError(ERROR_CODES.invalidOption, 'give either --bundle or --synthetic, not both');
  if (flags.synthetic) return { set: await readFeatureSet(flags.synthetic), subject: flags.synthetic };
  if (!flags.bundle) throw new EmodistillError(ERROR_CODES.invalidOption, 'audit needs --bundle <gen.bundle> or --synthetic <synth.arrow>');
  const bundle = await readGeneratorBundle(flags.bundle);
  assertBundleMatches(bundle, members, flags.members);
  const generator = loadGenerator(bundle, flags.bundle);
  try {
    return { set: sampleFeatureSet(generator, { ipc: flags.ipc, prior: 'balanced', seed: 1 }, `synthetic:${flags.bundle}`), subject: flags.bundle };
  } finally {
    generator.network.dispose();
  }
}

export function auditCommand(context: () => CommandContext): Command {
  return new Command('audit')
    .description('measure speaker-identity leakage of a generator (or synthetic set) against real member and holdout data; exit 0 pass, 3 fail')
    .requiredOption('--members <train.arrow>', 'the real data the generator was trained on')
    .requiredOption('--holdout <holdout.arrow>', 'real data of audit-holdout speakers the generator never saw')
    .option('--bundle <gen.bundle>', 'generator to audit (sampled at --ipc per class)')
    .option('--synthetic <synth.arrow>', 'or a synthetic set to audit')
    .option('--ipc <n>', 'points per class sampled from --bundle', parsePositiveInt, 50)
    .requiredOption('--out <report.json>', 'audit report (JSON; the HTML page is written beside it)')
    .option('--key <site.key>', 'sign an attestation with this site key (written beside the report)')
    .option('--max-auc <auc>', 'gate: upper 95 % CI bound of membership AUC', parseFraction, DEFAULT_GATE.maxMembershipAucUpper)
    .option('--max-memorisation-excess <share>', 'gate: allowed memorised share above the holdout baseline', parseFraction, DEFAULT_GATE.maxMemorisationExcess)
    .option('--resamples <n>', 'bootstrap resamples', parsePositiveInt, 1000)
    .addOption(backendOption())
    .action(async (flags: AuditFlags) => {
      const { log, print, setExitCode } = context();
      await selectBackend(flags.backend);
      const [members, holdout] = await Promise.all([readFeatureSet(flags.members), readFeatureSet(flags.holdout)]);
      const shared = [...new Set(holdout.speakers)].filter((speaker) => members.speakers.includes(speaker));
      if (shared.length) throw new EmodistillError(ERROR_CODES.invalidOption, `holdout speakers ${shared.join(', ')} are also in ${flags.members}; audit-holdout speakers must be unseen`);
      const { set, subject } = await syntheticSetFor(flags, members);
      const report = runAudit(set, members, holdout, { subject, resamples: flags.resamples, gate: { maxMembershipAucUpper: flags.maxAuc, maxMemorisationExcess: flags.maxMemorisationExcess } });
      await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
      const htmlPath = `${flags.out.replace(/\.json$/, '')}.html`;
      await writeFile(htmlPath, renderAuditHtml(report));
      if (flags.key) {
        const subjectSha256 = createHash('sha256').update(await readFile(subject)).digest('hex');
        const attestationPath = flags.out.replace(/\.json$/, '') + '.attestation.json';
        await writeFile(attestationPath, `${JSON.stringify(signAttestation(report, subjectSha256, await readKeyFile(flags.key)), null, 2)}\n`);
        print(`signed attestation: ${attestationPath}`);
      }
      log.info({ passed: report.gate.passed, out: flags.out }, 'audit finished');
      print([...report.summary, `report: ${flags.out} and ${htmlPath}`].join('\n'));
      if (!report.gate.passed) setExitCode(EXIT_CODES.gateFailed);
    });
}
