import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import {
  CORESET_METHODS,
  EMODB_SPEAKER_SEX,
  parseFoldProtocol,
  readFeatureSet,
  runDistillBenchmark,
  selectBackend,
  type BackendName,
  type ComputePath,
  type CoresetMethod,
  type DistillBenchmarkResult,
} from '@emodistill/core';
import { checkOutputPaths } from '../checks.js';
import type { CommandContext } from '../context.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';

function parseIpcList(value: string): number[] {
  const ipcs = value.split(',').map(Number);
  if (ipcs.some((ipc) => !Number.isInteger(ipc) || ipc < 1))
    throw new InvalidArgumentError(`expected positive integers like 1,10,50,100, got "${value}"`);
  return ipcs;
}

function parseCoresets(value: string): CoresetMethod[] {
  const methods = value.split(',');
  const unknown = methods.filter((m) => !(CORESET_METHODS as readonly string[]).includes(m));
  if (unknown.length)
    throw new InvalidArgumentError(
      `unknown coreset method ${unknown.join(', ')}; expected ${CORESET_METHODS.join(', ')}`,
    );
  return methods as CoresetMethod[];
}

/** The benchmark as the aligned table a person reads. */
export function describeBenchmark(result: DistillBenchmarkResult): string {
  const table = formatTable(
    ['training set', 'IPC', 'UAR %', 'WA %', 'train time ×', 'bytes ×', 'bytes'],
    result.rows.map((row) => [
      row.row,
      row.ipc === null ? 'all' : String(row.ipc),
      formatPercent(row.uar),
      formatPercent(row.wa),
      row.relativeTrainTime.toFixed(3),
      row.relativeBytes.toFixed(4),
      formatBytes(row.trainBytes),
    ]),
  );
  return [
    `protocol ${result.protocol}: ${result.folds.length} folds (held out: ${result.folds.map((f) => f.join('+')).join(' · ')}); UAR/WA mean ± std over folds × seeds`,
    table,
    `distillation: ${result.distillSecondsPerFold.toFixed(1)} s per fold, ${result.stepsPerSecond.toFixed(2)} generator steps/s on ${result.backend} (${result.config.steps} steps, n_critic ${result.config.criticSteps}, batch ${result.config.batchSize})`,
  ].join('\n');
}

interface BenchFlags {
  protocol: string;
  ipc: number[];
  seeds: number;
  steps?: number;
  ablations?: boolean;
  prior?: boolean;
  coresets: CoresetMethod[];
  json?: string;
  backend: BackendName;
  compute: ComputePath;
}

export function benchCommand(context: () => CommandContext): Command {
  const bench = new Command('bench').description('benchmarks that print figures');
  bench
    .command('distill')
    .description('real-full vs random/coreset subsets vs synthetic sets at several IPC, speaker-independent folds')
    .argument('<features.arrow>', 'an imported corpus')
    .option('--protocol <p>', 'emodb5 | speaker-kfold:K | session', 'emodb5')
    .option('--ipc <list>', 'points per class', parseIpcList, [1, 10, 50, 100])
    .option('--seeds <n>', 'downstream classifier seeds per set', parsePositiveInt, 3)
    .option('--steps <n>', 'generator steps per distillation (default 2000)', parsePositiveInt)
    .option('--ablations', 'also distil without L_FM, L_SML, L_DIV (at IPC 50, or the largest IPC below it)')
    .option('--prior', 'also sample with the real class prior (at the same IPC as the ablations)')
    .option(
      '--coresets <list>',
      `coreset methods (${CORESET_METHODS.filter((m) => m !== 'random').join(', ')})`,
      parseCoresets,
      ['herding'] as CoresetMethod[],
    )
    .option('--json <file>', 'also write the table as JSON')
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (file: string, flags: BenchFlags) => {
      const { log, print } = context();
      const protocol = parseFoldProtocol(flags.protocol);
      await checkOutputPaths([flags.json ? { option: '--json', path: flags.json } : undefined]);
      const backend = await selectBackend(flags.backend, flags.compute);
      const set = await readFeatureSet(file);
      const comparisonIpc = flags.ipc.includes(50) ? 50 : Math.max(...flags.ipc);
      const progress = createProgress('benchmark folds');
      const result = await runDistillBenchmark(set, {
        protocol,
        ipcs: flags.ipc,
        seeds: Array.from({ length: flags.seeds }, (_, i) => i),
        distill: flags.steps ? { steps: flags.steps } : {},
        ablationIpc: flags.ablations ? comparisonIpc : undefined,
        priorIpc: flags.prior ? comparisonIpc : undefined,
        coresets: flags.coresets,
        backend,
        sexOf: set.corpus.source === 'emodb' ? (speaker) => EMODB_SPEAKER_SEX[speaker] : undefined,
        onFold: (fold, folds, held) => {
          progress.update(fold - 1, folds, `held out ${held.join('+')}`);
          log.info({ fold, folds, held }, 'benchmark fold');
        },
      });
      progress.stop();
      if (flags.json) await writeFile(flags.json, `${JSON.stringify({ file, ...result }, null, 2)}\n`);
      print(describeBenchmark(result));
    });
  return bench;
}
