import { Command, Option } from 'commander';
import {
  SAMPLE_LABELS,
  assertBundleMatches,
  disposeGenerator,
  evaluateDownstream,
  evaluateGeneratorStream,
  loadGenerator,
  readGeneratorBundle,
  readFeatureSet,
  selectBackend,
  type BackendName,
  type ComputePath,
  type SampleLabels,
} from '@emodistill/core';
import { requireRows, sharedSpeakers } from '../checks.js';
import type { CommandContext } from '../context.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';
import { jsonOption, printResult } from '../output.js';

interface EvaluateFlags {
  train?: string;
  generator?: string;
  steps: number;
  labels?: SampleLabels;
  test: string;
  seeds: number;
  json?: boolean;
  allowSpeakerOverlap?: boolean;
  backend: BackendName;
  compute: ComputePath;
}

export function evaluateCommand(context: () => CommandContext): Command {
  return new Command('evaluate')
    .description('train the downstream emotion classifier on one set and test it on held-out speakers')
    .option('--train <file.arrow>', 'training feature set (real or synthetic)')
    .option(
      '--generator <gen.bundle>',
      'instead of --train: train on the generator as a stream, fresh samples every step (no fixed set)',
    )
    .option('--steps <n>', '--generator: minibatch steps of 32 fresh samples', parsePositiveInt, 1000)
    .addOption(
      new Option('--labels <labels>', "--generator: hard or soft labels (default: the bundle's sampling)").choices(
        SAMPLE_LABELS,
      ),
    )
    .requiredOption('--test <file.arrow>', 'test feature set (held-out speakers)')
    .option('--seeds <n>', 'training runs with seeds 0..n-1', parsePositiveInt, 3)
    .option(
      '--allow-speaker-overlap',
      'evaluate even when test speakers are also in the training set (the result is then not speaker-independent)',
    )
    .addOption(jsonOption())
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (flags: EvaluateFlags) => {
      const { log, print } = context();
      if (Boolean(flags.train) === Boolean(flags.generator))
        throw new CliError(
          CLI_ERRORS.missingOption,
          'give exactly one of --train <file.arrow> (a fixed training set) and --generator <gen.bundle> (a stream of samples)',
        );
      if (flags.generator) {
        await evaluateStream(flags.generator, flags, context());
        return;
      }
      const [train, test] = await Promise.all([readFeatureSet(flags.train!), readFeatureSet(flags.test)]);
      requireRows(train, `--train ${flags.train}`);
      requireRows(test, `--test ${flags.test}`);
      const shared = sharedSpeakers(train, test);
      if (shared.length > 0 && !flags.allowSpeakerOverlap) {
        throw new CliError(
          CLI_ERRORS.speakerOverlap,
          `speakers ${shared.join(', ')} of --test ${flags.test} are also in --train ${flags.train}, so the test is not on held-out speakers; split by speaker (corpus split) or pass --allow-speaker-overlap`,
        );
      }
      const backend = await selectBackend(flags.backend, flags.compute);
      log.info({ backend }, 'backend ready');
      const result = {
        train: flags.train!,
        test: flags.test,
        backend,
        ...(shared.length > 0 && { sharedSpeakers: shared }),
        ...evaluateDownstream(train, test, { seeds: Array.from({ length: flags.seeds }, (_, i) => i) }),
      };
      printResult({ print }, flags, result, (r) =>
        [
          `downstream classifier on ${r.backend}, ${flags.seeds} seed(s), tested on ${r.testRows} ${r.sharedSpeakers ? `utterances (speakers ${r.sharedSpeakers.join(', ')} also trained on)` : 'held-out utterances'}`,
          formatTable(
            ['train set', 'UAR %', 'WA %', 'train s', 'bytes', 'rows'],
            [
              [
                r.train,
                formatPercent(r.uar),
                formatPercent(r.wa),
                r.trainSeconds.mean.toFixed(2),
                formatBytes(r.trainBytes),
                String(r.trainRows),
              ],
            ],
          ),
        ].join('\n'),
      );
    });
}

/** `evaluate --generator`: the downstream classifier trained on fresh samples every step. */
async function evaluateStream(bundlePath: string, flags: EvaluateFlags, { log, print }: CommandContext): Promise<void> {
  const [bundle, test] = await Promise.all([readGeneratorBundle(bundlePath), readFeatureSet(flags.test)]);
  requireRows(test, `--test ${flags.test}`);
  assertBundleMatches(bundle, test, `--test ${flags.test}`);
  const backend = await selectBackend(flags.backend, flags.compute);
  log.info({ backend }, 'backend ready');
  const generator = loadGenerator(bundle, bundlePath);
  try {
    const result = {
      generator: bundlePath,
      test: flags.test,
      backend,
      ...evaluateGeneratorStream(generator, test, {
        seeds: Array.from({ length: flags.seeds }, (_, i) => i),
        steps: flags.steps,
        ...(flags.labels && { labels: flags.labels }),
      }),
    };
    printResult({ print }, flags, result, (r) =>
      [
        `downstream classifier on ${r.backend}, ${flags.seeds} seed(s), ${r.steps} steps of ${r.batchSize} fresh samples (${r.labels} labels), tested on ${r.testRows} held-out utterances`,
        formatTable(
          ['generator (stream)', 'UAR %', 'WA %', 'train s'],
          [
            [
              r.generator,
              formatPercent(r.uar),
              formatPercent(r.wa),
              (r.runs.reduce((sum, run) => sum + run.trainSeconds, 0) / r.runs.length).toFixed(2),
            ],
          ],
        ),
      ].join('\n'),
    );
  } finally {
    disposeGenerator(generator);
  }
}
