import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  DEFAULT_LATENT_RADIUS,
  DISTILL_METHODS,
  EMODB_FOLDS,
  foldsFor,
  readFeatureSet,
  selectBackend,
  splitBySpeakers,
  type BackendName,
  type ComputePath,
  type DistillMethod,
} from '@emodistill/core';
import { runSimulation } from '@emodistill/harness';
import type { CommandContext } from '../context.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import { backendOption, computeOption, parseNonNegativeNumber, parsePositiveInt } from '../options.js';
import { jsonOption, printResult, writeJsonFile } from '../output.js';
import { claimRunFolder } from '../run-folder.js';

interface SimulateFlags {
  sites: number;
  testSpeakers?: string;
  rounds: number;
  localSteps: number;
  ipc: number;
  out: string;
  strategy: 'fed-avg' | 'fed-median' | 'fed-trimmed-avg';
  method: DistillMethod;
  latentRadius: number;
  seed: number;
  seeds: number;
  maxParallelSites?: number;
  backend: BackendName;
  compute: ComputePath;
  json?: boolean;
}

/** Held-out speakers: as given; EmoDB's first protocol pair for EmoDB; else the first of 5 speaker folds. */
export function defaultTestSpeakers(source: string, speakers: readonly string[], given?: string): string[] {
  if (given)
    return given
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (source === 'emodb') return [...EMODB_FOLDS[0]!];
  return foldsFor({ speakers } as never, 'speaker-kfold:5')[0]!;
}

export function simulateCommand(context: () => CommandContext): Command {
  return new Command('simulate')
    .description(
      'run a whole federation on this machine: a coordinator and N site agents as real processes on 127.0.0.1, the corpus split over the sites by speaker; then export the global generator and evaluate it on held-out speakers',
    )
    .argument('<features.arrow>', 'feature set to split over the sites (`emodistill corpus import`)')
    .option('--sites <n>', 'number of sites', parsePositiveInt, 3)
    .addOption(
      new Option(
        '--split <how>',
        'how the corpus is divided over the sites: whole speakers per site (non-IID, as real institutions)',
      )
        .choices(['speaker'])
        .default('speaker'),
    )
    .option(
      '--test-speakers <a,b>',
      'held-out speakers for evaluation (default: EmoDB 03,08; otherwise the first of 5 speaker folds)',
    )
    .addOption(
      new Option(
        '--method <name>',
        "distillation method (as distill's): the coordinator's round plan and the bundle's sampling",
      )
        .choices(DISTILL_METHODS)
        .default('default'),
    )
    .option('--rounds <n>', 'training rounds', parsePositiveInt, 10)
    .option('--local-steps <n>', 'generator steps per site per round', parsePositiveInt, 200)
    .option('--ipc <n>', 'synthetic points per class for the evaluation', parsePositiveInt, 50)
    .addOption(
      new Option('--strategy <name>', 'aggregation')
        .choices(['fed-avg', 'fed-median', 'fed-trimmed-avg'])
        .default('fed-avg'),
    )
    .option(
      '--latent-radius <r>',
      "distance of each site's latent region from the origin (0: the sites share N(0, I))",
      parseNonNegativeNumber,
      DEFAULT_LATENT_RADIUS,
    )
    .option(
      '--seed <n>',
      "generator seed: the initial global weights and the sites' local training",
      parseNonNegativeNumber,
      0,
    )
    .option('--seeds <n>', 'classifier seeds in the evaluation', parsePositiveInt, 3)
    .option(
      '--max-parallel-sites <n>',
      'at most this many sites train at once on this machine (every site still trains every round; default: no bound)',
      parsePositiveInt,
    )
    .option(
      '--out <dir>',
      "working directory (throwaway keys, configs, logs, the exported bundle); a re-run replaces the previous run's files there",
      'emodistill-simulation',
    )
    .addOption(jsonOption())
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (featuresPath: string, flags: SimulateFlags) => {
      const { log, print, notice } = context();
      await selectBackend(flags.backend, flags.compute);
      const set = await readFeatureSet(featuresPath);
      const testSpeakers = defaultTestSpeakers(set.corpus.source, set.speakers, flags.testSpeakers);
      const { train, test } = splitBySpeakers(set, testSpeakers);
      const { dir: outDir, replaced } = await claimRunFolder('--out', flags.out, 'simulate');
      if (replaced)
        notice(`replacing the previous ${replaced.command} run in ${outDir} (started ${replaced.startedAt})`);
      let last = '';
      const result = await runSimulation({
        train,
        test,
        outDir,
        sites: flags.sites,
        rounds: flags.rounds,
        localSteps: flags.localSteps,
        strategy: flags.strategy,
        method: flags.method,
        latentRadius: flags.latentRadius,
        modelSeed: flags.seed,
        distill: { seed: flags.seed },
        ipc: flags.ipc,
        evaluationSeeds: Array.from({ length: flags.seeds }, (_, i) => i),
        log,
        ...(flags.maxParallelSites && { maxParallelSites: flags.maxParallelSites }),
        onStatus: (status) => {
          const line = `round ${status.round ?? '-'} (${status.kind ?? '-'}) ${status.state ?? ''}: ${status.acceptedUpdates}/${flags.sites} updates; global version ${status.latestVersion ?? '-'}`;
          if (line !== last) process.stderr.write(`${line}\n`);
          last = line;
        },
      });
      const summary = {
        sites: result.layout.sites.map((s) => ({ siteId: s.siteId, speakers: s.speakers })),
        testSpeakers,
        rounds: flags.rounds,
        localSteps: flags.localSteps,
        strategy: flags.strategy,
        latentRadius: flags.latentRadius,
        seconds: result.seconds,
        bundle: result.bundlePath,
        weightsSha256: result.weightsSha256,
        federated: {
          ipc: flags.ipc,
          uar: result.federated.uar,
          wa: result.federated.wa,
          trainBytes: result.federated.trainBytes,
        },
        realFull: { uar: result.realFull.uar, wa: result.realFull.wa, trainBytes: result.realFull.trainBytes },
      };
      await writeJsonFile(join(outDir, 'simulation.json'), summary);
      printResult({ print }, flags, summary, () =>
        [
          `federation of ${flags.sites} sites (${summary.sites.map((s) => `${s.siteId}: ${s.speakers.join(',')}`).join('; ')}), ${flags.rounds} rounds × ${flags.localSteps} local steps, ${flags.strategy}, ${result.seconds.toFixed(0)} s`,
          `held-out speakers ${testSpeakers.join(', ')}; exported ${result.bundlePath} (signed)`,
          '',
          formatTable(
            ['training set', 'UAR %', 'WA %', 'rows', 'bytes'],
            [
              [
                `federated synthetic IPC ${flags.ipc}`,
                formatPercent(result.federated.uar),
                formatPercent(result.federated.wa),
                String(flags.ipc * train.classNames.length),
                formatBytes(result.federated.trainBytes),
              ],
              [
                'real (all training sites pooled)',
                formatPercent(result.realFull.uar),
                formatPercent(result.realFull.wa),
                String(train.ids.length),
                formatBytes(result.realFull.trainBytes),
              ],
            ],
          ),
        ].join('\n'),
      );
    });
}
