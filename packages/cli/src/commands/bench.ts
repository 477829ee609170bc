import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CORESET_METHODS,
  DISTILL_METHODS,
  EMODB_SPEAKER_SEX,
  SAMPLE_LABELS,
  ablationsOf,
  methodPreset,
  parseFoldProtocol,
  resolveDistillConfig,
  readFeatureSet,
  runDistillBenchmark,
  selectBackend,
  type BackendName,
  type ComputePath,
  type BenchmarkMethod,
  type CoresetMethod,
  type DistillBenchmarkResult,
  type DistillMethod,
  type DistillOptions,
  type SampleLabels,
} from '@emodistill/core';
import { checkOutputPaths } from '../checks.js';
import type { CommandContext } from '../context.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { backendOption, computeOption, parsePositiveInt } from '../options.js';
import { jsonOption, jsonOutOption, printResult, writeJsonFile } from '../output.js';

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

const points = (value: number): string => (value * 100).toFixed(1);

/** The benchmark as the aligned tables a person reads: the rows, then the paired differences. */
export function describeBenchmark(result: DistillBenchmarkResult): string {
  const table = formatTable(
    ['training set', 'IPC', 'UAR %', 'per fold', 'WA %', 'train time ×', 'bytes ×', 'bytes'],
    result.rows.map((row) => [
      row.row,
      row.ipc === null ? 'all' : String(row.ipc),
      formatPercent(row.uar),
      row.perFold.map(points).join(' '),
      formatPercent(row.wa),
      row.relativeTrainTime.toFixed(3),
      row.relativeBytes.toFixed(4),
      formatBytes(row.trainBytes),
    ]),
  );
  const differences = formatTable(
    ['synthetic row', 'IPC', 'minus', 'mean', '95 % interval', 'per fold'],
    result.pairedDifferences.map((d) => [
      d.row,
      String(d.ipc),
      d.versus,
      `${d.mean >= 0 ? '+' : ''}${points(d.mean)}`,
      `[${points(d.interval[0])}, ${points(d.interval[1])}]`,
      d.perFold.map(points).join(' '),
    ]),
  );
  const methods = result.methods
    .map(
      (m) =>
        `${m.name}: ${m.config.steps} steps, n_critic ${m.config.criticSteps}, batch ${m.config.batchSize}, EMA ${m.config.emaDecay || 'off'}, labeler ${m.config.labelerHiddenUnits.join('×') || 'none'}; sampling ${m.sampling.labels} labels, oversample ×${m.sampling.oversample}`,
    )
    .join('\n  ');
  return [
    `protocol ${result.protocol}: ${result.folds.length} folds (held out: ${result.folds.map((f) => f.join('+')).join(' · ')}); ${result.generatorSeeds.length} generator seed(s); UAR/WA mean ± std over folds × seeds, per fold the mean over seeds`,
    table,
    'paired differences (UAR points, synthetic − row, per fold; Student-t 95 % interval over folds):',
    differences,
    `methods:\n  ${methods}`,
    `distillation: ${result.distillSecondsPerRun.toFixed(1)} s per run, ${result.stepsPerSecond.toFixed(2)} generator steps/s on ${result.backend}; whole benchmark ${(result.seconds / 60).toFixed(1)} min`,
  ].join('\n');
}

interface BenchFlags {
  protocol: string;
  ipc: number[];
  seeds: number;
  generatorSeeds: number;
  method: DistillMethod[];
  steps?: number;
  labels?: SampleLabels;
  oversample?: number;
  distillOptions?: DistillOptions;
  ablations?: boolean;
  prior?: boolean;
  stream?: true | number;
  coresets: CoresetMethod[];
  workers: number;
  json?: boolean;
  jsonOut?: string;
  backend: BackendName;
  compute: ComputePath;
}

function parseDistillOptions(value: string): DistillOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`expected a JSON object of distill settings, got "${value}"`);
  }
  try {
    resolveDistillConfig(parsed as DistillOptions);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return parsed as DistillOptions;
}

function parseMethods(value: string): DistillMethod[] {
  const methods = value.split(',');
  const unknown = methods.filter((m) => !(DISTILL_METHODS as readonly string[]).includes(m));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown method ${unknown.join(', ')}; expected ${DISTILL_METHODS.join(', ')}`);
  return methods as DistillMethod[];
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
    .option(
      '--generator-seeds <n>',
      'distillations per fold (seeds 0…n−1); rows average over them',
      parsePositiveInt,
      3,
    )
    .option(
      '--method <list>',
      `methods side by side, the first one main (${DISTILL_METHODS.join(', ')})`,
      parseMethods,
      ['default'] as DistillMethod[],
    )
    .option('--steps <n>', "generator steps per distillation (default: the method's)", parsePositiveInt)
    .addOption(new Option('--labels <labels>', "the main method's labels instead of its own").choices(SAMPLE_LABELS))
    .option('--oversample <n>', "the main method's candidates per point kept instead of its own", parsePositiveInt)
    .option(
      '--distill-options <json>',
      "distill settings over the main method's, e.g. '{\"poolMatchingWeight\":0.1}' (screening a lever)",
      parseDistillOptions,
    )
    .option(
      '--ablations',
      'also run the main method with each of its parts and loss terms off, 1 generator seed (at IPC 50, or the largest IPC below it)',
    )
    .option(
      '--stream [steps]',
      "also train on the main method's generator as a stream of fresh samples (default 1000 steps)",
      parsePositiveInt,
    )
    .option('--prior', 'also sample with the real class prior (at the same IPC as the ablations)')
    .option('--coresets <list>', `coreset methods (${CORESET_METHODS.join(', ')})`, parseCoresets, [
      ...CORESET_METHODS,
    ] as CoresetMethod[])
    .addOption(
      new Option('--workers <n>', 'distillations in parallel worker threads; 1 distils in-process')
        .argParser(parsePositiveInt)
        .default(availableParallelism(), `the number of cores, ${availableParallelism()} here`),
    )
    .addOption(jsonOption())
    .addOption(jsonOutOption())
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (file: string, flags: BenchFlags) => {
      const { log, print } = context();
      const protocol = parseFoldProtocol(flags.protocol);
      await checkOutputPaths([flags.jsonOut ? { option: '--json-out', path: flags.jsonOut } : undefined]);
      const backend = await selectBackend(flags.backend, flags.compute);
      const set = await readFeatureSet(file);
      const comparisonIpc = flags.ipc.includes(50) ? 50 : Math.max(...flags.ipc);
      const progress = createProgress('distillations');
      const methods = flags.method.map((name, i): BenchmarkMethod => {
        const preset = methodPreset(name, {
          ...(flags.steps && { steps: flags.steps }),
          ...(i === 0 && flags.distillOptions),
        });
        const sampling =
          i === 0
            ? {
                labels: flags.labels ?? preset.sampling.labels,
                oversample: flags.oversample ?? preset.sampling.oversample,
              }
            : preset.sampling;
        return { name, distill: preset.distill, sampling };
      });
      const result = await runDistillBenchmark(set, {
        protocol,
        ipcs: flags.ipc,
        seeds: Array.from({ length: flags.seeds }, (_, i) => i),
        generatorSeeds: Array.from({ length: flags.generatorSeeds }, (_, i) => i),
        methods,
        ablations: ablationsOf(methods[0]!),
        ablationIpc: flags.ablations ? comparisonIpc : undefined,
        priorIpc: flags.prior ? comparisonIpc : undefined,
        ...(flags.stream && { stream: { steps: flags.stream === true ? 1000 : flags.stream } }),
        coresets: flags.coresets,
        backend,
        workers: { threads: flags.workers, backend: flags.backend, compute: flags.compute },
        sexOf: set.corpus.source === 'emodb' ? (speaker) => EMODB_SPEAKER_SEX[speaker] : undefined,
        onDistill: (done, total, detail) => {
          progress.update(done, total, detail);
          log.info({ done, total, detail }, 'benchmark distillation');
        },
      });
      progress.stop();
      const output = { file, ...result };
      if (flags.jsonOut) await writeJsonFile(flags.jsonOut, output);
      printResult({ print }, flags, output, describeBenchmark);
    });
  return bench;
}
