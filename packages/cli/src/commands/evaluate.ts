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
    .option('--json', 'print the result as JSON')
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
      const result = evaluateDownstream(train, test, { seeds: Array.from({ length: flags.seeds }, (_, i) => i) });
      if (flags.json) {
        print(
          JSON.stringify(
            {
              train: flags.train,
              test: flags.test,
              backend,
              ...(shared.length > 0 && { sharedSpeakers: shared }),
              ...result,
            },
            null,
            2,
          ),
        );
        return;
      }
      print(
        `downstream classifier on ${backend}, ${flags.seeds} seed(s), tested on ${result.testRows} ${shared.length > 0 ? `utterances (speakers ${shared.join(', ')} also trained on)` : 'held-out utterances'}`,
      );
      print(
        formatTable(
          ['train set', 'UAR %', 'WA %', 'train s', 'bytes', 'rows'],
          [
            [
              flags.train!,
              formatPercent(result.uar),
              formatPercent(result.wa),
              result.trainSeconds.mean.toFixed(2),
              formatBytes(result.trainBytes),
              String(result.trainRows),
            ],
          ],
        ),
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
    const result = evaluateGeneratorStream(generator, test, {
      seeds: Array.from({ length: flags.seeds }, (_, i) => i),
      steps: flags.steps,
      ...(flags.labels && { labels: flags.labels }),
    });
    if (flags.json) {
      print(JSON.stringify({ generator: bundlePath, test: flags.test, backend, ...result }, null, 2));
      return;
    }
    print(
      `downstream classifier on ${backend}, ${flags.seeds} seed(s), ${result.steps} steps of ${result.batchSize} fresh samples (${result.labels} labels), tested on ${result.testRows} held-out utterances`,
    );
    print(
      formatTable(
        ['generator (stream)', 'UAR %', 'WA %', 'train s'],
        [
          [
            bundlePath,
            formatPercent(result.uar),
            formatPercent(result.wa),
            (result.runs.reduce((sum, run) => sum + run.trainSeconds, 0) / result.runs.length).toFixed(2),
          ],
        ],
      ),
    );
  } finally {
    disposeGenerator(generator);
  }
}
