import { basename } from 'node:path';
import { Command, Option } from 'commander';
import {
  assertBundleMatches,
  labelIndices,
  disposeGenerator,
  SAMPLE_LABELS,
  SELECTION_METHODS,
  loadGenerator,
  readFeatureSet,
  readGeneratorBundle,
  sampleFeatureSet,
  selectBackend,
  summariseFeatureSet,
  writeFeatureSet,
  type BackendName,
  type ComputePath,
  type SampleLabels,
  type SamplePrior,
  type SelectionMethod,
} from '@emodistill/core';
import { checkOutputPaths } from '../checks.js';
import type { CommandContext } from '../context.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import { wroteSet } from './corpus.js';
import { backendOption, computeOption, parseNonNegativeNumber, parsePositiveInt } from '../options.js';
import { jsonOption, printResult } from '../output.js';

interface SampleFlags {
  ipc: number;
  labels?: SampleLabels;
  oversample?: number;
  selection?: SelectionMethod;
  prior: SamplePrior;
  seed: number;
  out: string;
  real?: string;
  backend: BackendName;
  compute: ComputePath;
  json?: boolean;
}

export function sampleCommand(context: () => CommandContext): Command {
  return new Command('sample')
    .description('draw a synthetic feature set from a generator bundle (in the real, unstandardised feature space)')
    .argument('<gen.bundle>', 'generator bundle')
    .requiredOption('--out <synth.arrow>', 'synthetic feature set to write')
    .option('--ipc <n>', 'points per class', parsePositiveInt, 50)
    .addOption(
      new Option(
        '--prior <prior>',
        'balanced classes, or the real class distribution with the same total (needs --real)',
      )
        .choices(['balanced', 'real'])
        .default('balanced'),
    )
    .addOption(
      new Option(
        '--labels <labels>',
        "hard: the conditioning class · soft: also the bundle labeler's class probabilities, in the file's probability column (default: the bundle's sampling)",
      ).choices(SAMPLE_LABELS),
    )
    .option(
      '--oversample <n>',
      "draw n candidates per point and keep those the selection picks in the labeler's hidden layer (default: the bundle's sampling)",
      parsePositiveInt,
    )
    .addOption(
      new Option(
        '--selection <rule>',
        "how --oversample picks: herding or k-center (default: the bundle's sampling)",
      ).choices(SELECTION_METHODS),
    )
    .option('--real <train.arrow>', 'real training set whose class distribution --prior real follows')
    .option('--seed <n>', 'sampling seed', parseNonNegativeNumber, 1)
    .addOption(jsonOption())
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (bundlePath: string, flags: SampleFlags) => {
      const { log, print } = context();
      await checkOutputPaths([{ option: '--out', path: flags.out }]);
      await selectBackend(flags.backend, flags.compute);
      const bundle = await readGeneratorBundle(bundlePath);
      let realClassCounts: number[] | undefined;
      if (flags.prior === 'real') {
        if (!flags.real)
          throw new CliError(
            CLI_ERRORS.missingOption,
            '--prior real needs --real <train.arrow> (the class distribution to follow)',
          );
        const real = await readFeatureSet(flags.real);
        assertBundleMatches(bundle, real, flags.real);
        const labels = labelIndices(real);
        realClassCounts = real.classNames.map((_, c) => labels.filter((label) => label === c).length);
      }
      const generator = loadGenerator(bundle, bundlePath);
      try {
        const set = sampleFeatureSet(
          generator,
          {
            ipc: flags.ipc,
            prior: flags.prior,
            seed: flags.seed,
            realClassCounts,
            ...(flags.labels && { labels: flags.labels }),
            ...(flags.oversample && { oversample: flags.oversample }),
            ...(flags.selection && { selection: flags.selection }),
          },
          `synthetic:${basename(bundlePath)}`,
        );
        await writeFeatureSet(flags.out, set);
        log.info({ out: flags.out, rows: set.ids.length }, 'synthetic set written');
        printResult({ print }, flags, { bundle: bundlePath, out: flags.out, ...summariseFeatureSet(set) }, wroteSet);
      } finally {
        disposeGenerator(generator);
      }
    });
}
