import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Command } from 'commander';
import {
  disposeGenerator,
  evaluateDownstream,
  extractFeatureSet,
  foldsFor,
  listManifest,
  loadGenerator,
  meanAndStd,
  sampleFeatureSet,
  selectBackend,
  selectCoreset,
  splitBySpeakers,
  writeFeatureSet,
  type BackendName,
  type ComputePath,
  type FeatureSet,
} from '@emodistill/core';
import { runSimulation, spawnCli } from '@emodistill/harness';
import { speakersNeededSentence, type AuditReport } from '@emodistill/privacy-audit';
import { renderDemoHtml, type DemoReport, type DemoSiteAudit } from '../demo-report.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { claimRunFolder } from '../run-folder.js';
import type { CommandContext } from '../context.js';
import { formatPercent, formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { backendOption, computeOption } from '../options.js';

/** The demo-corpus generator lives in the repository's dev-only tools package (it uses GPL espeak-ng). */
interface DemoCorpusModule {
  generateDemoCorpus(options: {
    outDir: string;
    speakers?: number;
    sentencesPerEmotion?: number;
    onProgress?: (done: number, total: number) => void;
  }): Promise<{ manifestPath: string; utterances: number; seconds: number }>;
}

const DEMO_CORPUS_MODULE = '@emodistill/tools/demo-corpus';

async function loadDemoCorpusGenerator(): Promise<DemoCorpusModule> {
  try {
    return (await import(DEMO_CORPUS_MODULE)) as DemoCorpusModule;
  } catch (error) {
    throw new CliError(
      CLI_ERRORS.demoToolsMissing,
      'the demo corpus generator (tools/ of the emodistill repository) is not installed: run the demo from a clone after `npm ci`',
      { cause: error },
    );
  }
}

interface DemoFlags {
  out: string;
  quick?: boolean;
  backend: BackendName;
  compute: ComputePath;
}

/** Settings of the full demo and of `--quick` (the end-to-end test's run). */
const DEMO_SIZES = {
  full: {
    speakers: 14,
    sentencesPerEmotion: 10,
    rounds: 8,
    localSteps: 150,
    ipc: 50,
    seeds: [0, 1, 2],
    resamples: 1000,
  },
  quick: { speakers: 12, sentencesPerEmotion: 3, rounds: 2, localSteps: 25, ipc: 10, seeds: [0], resamples: 200 },
} as const;

interface PooledEvaluation {
  readonly uar: { mean: number; std: number };
  readonly wa: { mean: number; std: number };
  readonly rows: number;
  readonly bytes: number;
}

/** The downstream classifier on each of `sets` × `seeds`: mean ± std over all those runs. */
function pooledEvaluation(sets: readonly FeatureSet[], test: FeatureSet, seeds: readonly number[]): PooledEvaluation {
  const results = sets.map((train) => evaluateDownstream(train, test, { seeds }));
  const runs = results.flatMap((r) => r.runs);
  return {
    uar: meanAndStd(runs.map((run) => run.uar)),
    wa: meanAndStd(runs.map((run) => run.wa)),
    rows: results[0]!.trainRows,
    bytes: results[0]!.trainBytes,
  };
}

async function runDemo(flags: DemoFlags, context: CommandContext): Promise<void> {
  const { log, print, notice } = context;
  const size = DEMO_SIZES[flags.quick ? 'quick' : 'full'];
  const started = performance.now();

  const { generateDemoCorpus } = await loadDemoCorpusGenerator();
  const { dir: outDir, replaced } = await claimRunFolder('--out', flags.out, 'demo');
  if (replaced) notice(`replacing the previous ${replaced.command} run in ${outDir} (started ${replaced.startedAt})`);
  const corpusDir = join(outDir, 'corpus');
  const generating = createProgress('1/5 synthesising demo corpus ');
  const corpus = await generateDemoCorpus({
    outDir: corpusDir,
    speakers: size.speakers,
    sentencesPerEmotion: size.sentencesPerEmotion,
    onProgress: (done, total) => generating.update(done, total),
  });
  generating.stop();
  log.info({ utterances: corpus.utterances, audioSeconds: corpus.seconds, corpusDir }, 'demo corpus written');

  const extracting = createProgress('2/5 extracting features      ');
  const { set, stats } = await extractFeatureSet(await listManifest(corpus.manifestPath), {
    onProgress: (done, total, entry) => extracting.update(done, total, entry.id),
  });
  extracting.stop();
  const featuresPath = join(outDir, 'demo.arrow');
  await writeFeatureSet(featuresPath, set);
  log.info({ featuresPath, realtimeFactor: stats.audioSeconds / stats.extractionSeconds }, 'features written');

  const backend = await selectBackend(flags.backend, flags.compute);
  // Session 1 (two speakers) is held out for evaluation; the other speakers are dealt over 3 sites,
  // each keeping its last speaker out of training as the audit holdout.
  const testSpeakers = foldsFor(set, 'session')[0]!;
  const { train, test } = splitBySpeakers(set, testSpeakers);
  const federating = createProgress('3/5 federation (3 sites)     ');
  const audits: DemoSiteAudit[] = [];
  const auditing = createProgress('4/5 privacy audit at each site');
  const result = await runSimulation({
    train,
    test,
    outDir,
    sites: 3,
    rounds: size.rounds,
    localSteps: size.localSteps,
    ipc: size.ipc,
    evaluationSeeds: size.seeds,
    log,
    release: true,
    auditHoldoutSpeakers: (_site, speakers) => [speakers[speakers.length - 1]!],
    onStatus: (status) =>
      federating.update(
        Math.min(size.rounds, Math.max(0, (status.latestVersion ?? 1) - 1)),
        size.rounds,
        `round ${status.round ?? '-'} ${status.kind ?? ''} ${status.state ?? ''}, ${status.acceptedUpdates}/3 updates`,
      ),
    afterRounds: async ({ layout }) => {
      federating.stop();
      for (const [i, site] of layout.sites.entries()) {
        auditing.update(i, layout.sites.length, site.siteId);
        // As a site would: a real process, the site's own config and key; exits 3 and 4 are verdicts (fail, inconclusive), not errors.
        const audit = spawnCli(
          [
            '--log-level',
            'info',
            'site',
            'audit',
            '--config',
            site.config,
            '--ipc',
            String(size.ipc),
            '--resamples',
            String(size.resamples),
            '--backend',
            flags.backend,
            '--compute',
            flags.compute,
          ],
          join(layout.dir, `${site.siteId}-audit.log`),
        );
        const code = await audit.exited;
        if (code !== 0 && code !== EXIT_CODES.gateFailed && code !== EXIT_CODES.auditInconclusive)
          throw new CliError(
            CLI_ERRORS.demoAuditFailed,
            `the audit of ${site.siteId} failed (exit ${code}); see ${join(layout.dir, `${site.siteId}-audit.log`)}`,
          );
        const reportPath = join(dirname(site.config), 'audit-report.json');
        const report = JSON.parse(await readFile(reportPath, 'utf8')) as AuditReport;
        audits.push({
          siteId: site.siteId,
          trainingSpeakers: site.speakers.slice(0, -1),
          holdoutSpeakers: site.speakers.slice(-1),
          verdict: report.verdict.verdict,
          reason: `${report.verdict.reason}${speakersNeededSentence(report.verdict)}`,
          membershipAucUpper: Math.max(...report.verdict.figures.attacks.map((a) => a.high)),
          powerLimit: Math.max(...report.verdict.figures.attacks.map((a) => a.powerLimit)),
          memorisedShare: report.verdict.figures.memorisedShare,
          memorisedBaseline: report.verdict.figures.memorisedBaseline,
          probeConfidenceSynthetic: report.speakerInformation.probe.syntheticConfidence,
          probeConfidenceReal: report.speakerInformation.probe.realConfidence,
          utilityUar: report.utility.uar.mean,
          reportHtml: relative(outDir, reportPath.replace(/\.json$/, '.html')),
        });
      }
      auditing.update(layout.sites.length, layout.sites.length);
      auditing.stop();
    },
  });
  // One federated generator: its spread is over 3 draws of its samples; the random subset's over 3 subsets.
  const evaluating = createProgress('5/5 baselines                ');
  const draws = [0, 1, 2];
  evaluating.update(0, 2);
  const generator = loadGenerator(result.bundle, result.bundlePath);
  let synthetic: PooledEvaluation;
  try {
    synthetic = pooledEvaluation(
      draws.map((draw) =>
        sampleFeatureSet(generator, { ipc: size.ipc, prior: 'balanced', seed: 1 + draw }, 'federated'),
      ),
      test,
      size.seeds,
    );
  } finally {
    disposeGenerator(generator);
  }
  evaluating.update(1, 2);
  const randomReal = pooledEvaluation(
    draws.map((draw) => selectCoreset(result.pooledTrain, 'random', size.ipc, draw)),
    test,
    size.seeds,
  );
  evaluating.update(2, 2);
  evaluating.stop();
  const sampling = result.bundle.metadata.sampling;

  const report: DemoReport = {
    kind: 'emodistill-demo',
    version: 3,
    createdAt: new Date().toISOString(),
    backend,
    corpus: {
      utterances: set.ids.length,
      speakers: new Set(set.speakers).size,
      classNames: set.classNames,
      testSpeakers,
    },
    federation: {
      sites: 3,
      rounds: size.rounds,
      localSteps: size.localSteps,
      strategy: 'fed-avg',
      seconds: result.seconds,
      weightsSha256: result.weightsSha256,
      bundle: relative(outDir, result.bundlePath),
      released: result.release?.released ?? false,
      ...(result.release?.reason && {
        releaseRefusal: result.release.reason.replace(/^coordinator refused [^:]+: HTTP \d+ \S+ /, ''),
      }),
    },
    utility: [
      {
        label: `federated synthetic (IPC ${size.ipc}${sampling && sampling.oversample > 1 ? `, ${sampling.oversample}× oversampled` : ''}${sampling?.labels === 'soft' ? ', soft labels' : ''}; ${draws.length} draws)`,
        ...synthetic,
      },
      { label: `random real subset (IPC ${size.ipc}; ${draws.length} subsets)`, ...randomReal },
      {
        label: 'real, all sites pooled',
        uar: result.realFull.uar,
        wa: result.realFull.wa,
        rows: result.realFull.trainRows,
        bytes: result.realFull.trainBytes,
      },
    ],
    audits,
  };
  const reportPath = join(outDir, 'report.json');
  const htmlPath = join(outDir, 'report.html');
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPath, renderDemoHtml(report));
  log.info({ seconds: (performance.now() - started) / 1000 }, 'demo finished');
  print(
    [
      `${report.corpus.utterances} utterances, ${report.corpus.speakers} speakers; held out for evaluation: ${testSpeakers.join(', ')}; backend ${backend}`,
      `federation: 3 sites × ${size.rounds} rounds × ${size.localSteps} local steps in ${result.seconds.toFixed(0)} s; signed global generator ${result.bundlePath}`,
      '',
      formatTable(
        ['training set', 'UAR %', 'WA %', 'rows'],
        report.utility.map((r) => [r.label, formatPercent(r.uar), formatPercent(r.wa), String(r.rows)]),
      ),
      '',
      formatTable(
        ['site audit', 'AUC upper', 'power limit', 'copied (baseline)', 'verdict'],
        audits.map((a) => [
          a.siteId,
          a.membershipAucUpper.toFixed(2),
          a.powerLimit.toFixed(2),
          `${(100 * a.memorisedShare).toFixed(1)} % (${(100 * a.memorisedBaseline).toFixed(1)} %)`,
          a.verdict.toUpperCase(),
        ]),
      ),
      ...audits.map((a) => `${a.siteId}: ${a.verdict.toUpperCase()}. ${a.reason}`),
      report.federation.released
        ? 'release: every site attested PASS'
        : `release refused: ${report.federation.releaseRefusal ?? ''}`,
      '',
      `report: ${htmlPath} (and ${reportPath}) — ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
    ].join('\n'),
  );
}

export function demoCommand(context: () => CommandContext): Command {
  return new Command('demo')
    .description(
      'the whole story on a demo corpus the project synthesises itself: 3 sites federate a generator (real processes), each audits it, and one HTML report compares it with real data',
    )
    .option(
      '--out <dir>',
      "where the corpus, feature set and report go; a re-run replaces the previous demo's files there",
      'emodistill-demo',
    )
    .option('--quick', 'a smaller corpus, 2 short rounds and fewer evaluation runs (about 2 minutes)')
    .addOption(backendOption())
    .addOption(computeOption())
    .addHelpText(
      'after',
      '\nNeeds a clone of the emodistill repository after `npm ci`: the demo corpus generator is in its tools/ (dev-only, with espeak-ng), which the published packages do not include.',
    )
    .action((flags: DemoFlags) => runDemo(flags, context()));
}
