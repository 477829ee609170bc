import { Command } from 'commander';
import { evaluateDownstream, readFeatureSet, selectBackend, type BackendName, type ComputePath } from '@emodistill/core';
import type { CommandContext } from '../context.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';

export function evaluateCommand(context: () => CommandContext): Command {
  return new Command('evaluate')
    .description('train the downstream emotion classifier on one set and test it on held-out speakers')
    .requiredOption('--train <file.arrow>', 'training feature set (real or synthetic)')
    .requiredOption('--test <file.arrow>', 'test feature set (held-out speakers)')
    .option('--seeds <n>', 'training runs with seeds 0..n-1', parsePositiveInt, 3)
    .option('--json', 'print the result as JSON')
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (flags: { train: string; test: string; seeds: number; json?: boolean; backend: BackendName; compute: ComputePath }) => {
      const { log, print } = context();
      const backend = await selectBackend(flags.backend, flags.compute);
      log.info({ backend }, 'backend ready');
      const [train, test] = await Promise.all([readFeatureSet(flags.train), readFeatureSet(flags.test)]);
      const result = evaluateDownstream(train, test, { seeds: Array.from({ length: flags.seeds }, (_, i) => i) });
      if (flags.json) {
        print(JSON.stringify({ train: flags.train, test: flags.test, backend, ...result }, null, 2));
        return;
      }
      print(`downstream classifier on ${backend}, ${flags.seeds} seed(s), tested on ${result.testRows} held-out utterances`);
      print(
        formatTable(
          ['train set', 'UAR %', 'WA %', 'train s', 'bytes', 'rows'],
          [[flags.train, formatPercent(result.uar), formatPercent(result.wa), result.trainSeconds.mean.toFixed(2), formatBytes(result.trainBytes), String(result.trainRows)]],
        ),
      );
    });
}
