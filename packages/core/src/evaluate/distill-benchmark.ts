import type { DistillResult } from '../distill/train-loop.js';
import { createDistillPool, type DistillPoolOptions } from '../distill/distill-pool.js';
import { resolveDistillConfig, type DistillConfig, type DistillOptions } from '../generator/distill-config.js';
import { methodPreset } from '../generator/distill-methods.js';
import type { SamplingDefaults } from '../formats/generator-bundle.js';
import { createGeneratorBundle, disposeGenerator, loadGenerator } from '../distill/bundle.js';
import {
  sampleFeatureSet,
  withLabelerProbabilities,
  type GeneratorForSampling,
  type SampleLabels,
} from '../distill/sample.js';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { CORESET_METHODS, selectCoreset, type CoresetMethod } from './coresets.js';
import { evaluateDownstream, type DownstreamRun } from './downstream.js';
import { evaluateGeneratorStream } from './generator-stream.js';
import { foldsFor, splitBySpeakers, type FoldProtocol } from './folds.js';
import { meanAndStd, pairedDifference } from './metrics.js';

/** A distillation method as the benchmark runs it: training settings and sampling. */
export interface BenchmarkMethod {
  readonly name: string;
  readonly distill: DistillOptions;
  readonly sampling: SamplingDefaults;
}

/** A variant of the first method with one part changed: training (retrains) or sampling only. */
export interface BenchmarkAblation {
  readonly name: string;
  readonly distill?: DistillOptions;
  readonly sampling?: Partial<SamplingDefaults>;
}

/**
 * One ablation per part a method adds to the paper's (longer training, weight average, pool
 * distribution matching, soft labels, selection), each back to the paper's setting; where the
 * method leaves a lever off (weight average, L_DM), the lever switched on instead; then two more
 * levers measured the same way: the other selection rule and softer labels.
 */
export function ablationsOf(method: BenchmarkMethod): BenchmarkAblation[] {
  const config = resolveDistillConfig(method.distill);
  const paper = resolveDistillConfig(methodPreset('paper').distill);
  const selects = method.sampling.oversample > 1;
  const soft = method.sampling.labels === 'soft';
  return [
    ...(config.steps !== paper.steps ? [{ name: `${paper.steps} steps`, distill: { steps: paper.steps } }] : []),
    config.emaDecay > 0
      ? { name: 'no EMA', distill: { emaDecay: 0 } }
      : { name: 'EMA 0.999', distill: { emaDecay: 0.999 } },
    ...(soft ? [{ name: 'hard labels', sampling: { labels: 'hard' as const } }] : []),
    ...(selects ? [{ name: 'no selection', sampling: { oversample: 1 } }] : []),
    ...(selects ? [{ name: 'k-center selection', sampling: { selection: 'k-center' as const } }] : []),
    ...(soft ? [] : [{ name: 'soft labels', sampling: { labels: 'soft' as const } }]),
    { name: 'soft labels T=2', sampling: { labels: 'soft' as const, temperature: 2 } },
  ];
}

export interface DistillBenchmarkOptions {
  readonly protocol: FoldProtocol;
  readonly ipcs: readonly number[];
  /** Downstream classifier seeds per training set. */
  readonly seeds: readonly number[];
  /** One distillation per fold and generator seed (the seed of the distillation). */
  readonly generatorSeeds: readonly number[];
  /** Compared side by side; the first is the main one (ablations and the real prior apply to it). */
  readonly methods: readonly BenchmarkMethod[];
  /** Also run these variants of the first method at `ablationIpc`, with the first generator seed. */
  readonly ablations?: readonly BenchmarkAblation[];
  readonly ablationIpc?: number;
  /** Also compare the real class prior with the balanced one at this IPC. */
  readonly priorIpc?: number;
  /** Also train the downstream classifier on the main method's generator as a stream (fresh samples every step). */
  readonly stream?: { readonly steps: number };
  /** Default all three: random, herding, k-center. */
  readonly coresets?: readonly CoresetMethod[];
  readonly backend: string;
  readonly sexOf?: (speaker: string) => string | undefined;
  /** Distil in worker threads (default: one at a time, in this thread, on its backend). */
  readonly workers?: DistillPoolOptions;
  /** As each distillation starts: fold, generator seed and method, counted over the whole run. */
  readonly onDistill?: (done: number, total: number, detail: string) => void;
}

/** One row of the table: a training-set kind at an IPC, over folds × generator seeds × classifier seeds. */
export interface BenchmarkRow {
  readonly row: string;
  readonly ipc: number | null;
  /** The label treatment: soft rows train on a labeler's class probabilities. */
  readonly labels: SampleLabels;
  /** An ablation or the real prior: the synthetic row it varies (compared with it, not with the coresets). */
  readonly variantOf?: string;
  readonly uar: { mean: number; std: number };
  /** UAR per fold (mean over generator and classifier seeds), in fold order: for paired comparisons. */
  readonly perFold: readonly number[];
  readonly wa: { mean: number; std: number };
  readonly trainSeconds: number;
  readonly trainBytes: number;
  /** Downstream training time and bytes relative to real-full (1 = the same). */
  readonly relativeTrainTime: number;
  readonly relativeBytes: number;
}

/** A method's synthetic row minus a comparison row at the same IPC, paired by fold. */
export interface BenchmarkDifference {
  readonly row: string;
  readonly versus: string;
  readonly ipc: number | null;
  readonly mean: number;
  /** Student-t 95 % interval over the folds. */
  readonly interval: readonly [number, number];
  readonly perFold: readonly number[];
}

export interface DistillBenchmarkResult {
  readonly protocol: FoldProtocol;
  readonly folds: readonly (readonly string[])[];
  readonly generatorSeeds: readonly number[];
  readonly rows: readonly BenchmarkRow[];
  readonly pairedDifferences: readonly BenchmarkDifference[];
  readonly distillSecondsPerRun: number;
  readonly stepsPerSecond: number;
  readonly backend: string;
  readonly methods: readonly (BenchmarkMethod & { readonly config: DistillConfig })[];
  readonly seconds: number;
}

interface Accumulator {
  row: string;
  ipc: number | null;
  labels: SampleLabels;
  variantOf?: string;
  /** Per fold: the runs' UARs (generator seeds × classifier seeds). */
  foldRuns: number[][];
  was: number[];
  seconds: number[];
  bytes: number[];
}

interface DistillJob {
  readonly fold: number;
  readonly seedIndex: number;
  readonly seed: number;
  /** The distillation run, shared by every method that trains its generator the same way. */
  readonly distill: DistillOptions;
  /** The methods sampled from its generator, each its own way. */
  readonly methods: readonly BenchmarkMethod[];
  /** Set for a retrained ablation of the main method. */
  readonly ablation?: BenchmarkAblation;
  readonly detail: string;
}

/**
 * Methods grouped by how they train their generator: those whose settings differ only in the
 * labeler (trained after the generator, from its own seed) or in sampling share one distillation,
 * which then trains the labeler if any of them needs one.
 */
function sharedTrainings(
  methods: readonly BenchmarkMethod[],
): { distill: DistillOptions; methods: BenchmarkMethod[] }[] {
  const groups = new Map<string, { distill: DistillOptions; methods: BenchmarkMethod[] }>();
  for (const method of methods) {
    const config = resolveDistillConfig(method.distill);
    const key = JSON.stringify({ ...config, labelerHiddenUnits: [] });
    const group = groups.get(key);
    if (!group) groups.set(key, { distill: method.distill, methods: [method] });
    else {
      group.methods.push(method);
      if (resolveDistillConfig(group.distill).labelerHiddenUnits.length === 0) group.distill = method.distill;
    }
  }
  return [...groups.values()];
}

function classCounts(set: FeatureSet): number[] {
  const labels = labelIndices(set);
  return set.classNames.map((_, c) => labels.filter((label) => label === c).length);
}

const synthesisName = (method: BenchmarkMethod, methods: readonly BenchmarkMethod[]): string =>
  methods.length > 1 ? `synthetic ${method.name}` : 'synthetic';
const coresetName = (method: CoresetMethod, labels: SampleLabels): string =>
  labels === 'soft' ? `${method} soft` : method;

/**
 * The distillation benchmark: per fold, train the downstream classifier on real-full, on random,
 * herding and k-center subsets and on each method's synthetic sets at each IPC, test on the fold's
 * held-out speakers. Every generator seed gets its own distillation; a coreset row gets the label
 * treatment of the method it is compared with (soft: the same bundle's labeler labels it). Rows
 * aggregate per fold first, so methods compare by paired per-fold differences.
 */
export async function runDistillBenchmark(
  set: FeatureSet,
  options: DistillBenchmarkOptions,
): Promise<DistillBenchmarkResult> {
  const started = performance.now();
  const folds = foldsFor(set, options.protocol, options.sexOf);
  const coresets = options.coresets ?? CORESET_METHODS;
  const rows = new Map<string, Accumulator>();
  const record = (
    fold: number,
    row: string,
    ipc: number | null,
    labels: SampleLabels,
    train: FeatureSet,
    test: FeatureSet,
    variantOf?: string,
  ): void => {
    const result = evaluateDownstream(train, test, { seeds: options.seeds });
    recordRuns(fold, row, ipc, labels, result.runs, result.trainBytes, variantOf);
  };
  const recordRuns = (
    fold: number,
    row: string,
    ipc: number | null,
    labels: SampleLabels,
    runs: readonly DownstreamRun[],
    bytes: number,
    variantOf?: string,
  ): void => {
    const key = `${row}@${ipc ?? 'all'}`;
    const accumulator = rows.get(key) ?? {
      row,
      ipc,
      labels,
      ...(variantOf && { variantOf }),
      foldRuns: [],
      was: [],
      seconds: [],
      bytes: [],
    };
    (accumulator.foldRuns[fold] ??= []).push(...runs.map((run) => run.uar));
    accumulator.was.push(...runs.map((run) => run.wa));
    accumulator.seconds.push(...runs.map((run) => run.trainSeconds));
    accumulator.bytes.push(bytes);
    rows.set(key, accumulator);
  };
  const [main] = options.methods;
  if (!main) throw new Error('runDistillBenchmark: no method to benchmark');
  const ablationIpc = options.ablationIpc;
  const ablations = ablationIpc ? (options.ablations ?? []) : [];
  const splits = folds.map((testSpeakers) => splitBySpeakers(set, testSpeakers));
  const trainings = sharedTrainings(options.methods);
  const jobs: DistillJob[] = folds.flatMap((testSpeakers, fold) => [
    ...options.generatorSeeds.flatMap((seed, seedIndex) =>
      trainings.map(({ distill, methods }) => ({
        fold,
        seedIndex,
        seed,
        distill,
        methods,
        detail: `fold ${fold + 1} (${testSpeakers.join('+')}), seed ${seed}, ${methods.map((m) => m.name).join(' + ')}`,
      })),
    ),
    ...ablations
      .filter((ablation) => ablation.distill)
      .map((ablation) => {
        const variant = {
          name: ablation.name,
          distill: { ...main.distill, ...ablation.distill },
          sampling: { ...main.sampling, ...ablation.sampling },
        };
        return {
          fold,
          seedIndex: 0,
          seed: options.generatorSeeds[0] ?? 0,
          distill: variant.distill,
          methods: [variant],
          ablation,
          detail: `fold ${fold + 1} (${testSpeakers.join('+')}), ${ablation.name}`,
        };
      }),
  ]);
  const pool = await createDistillPool(options.workers ?? { threads: 1, backend: 'auto', compute: 'auto' });
  // Distillations run ahead of the evaluations, as many as the pool has threads; results are used in job order.
  const running = new Map<number, Promise<DistillResult>>();
  const startJob = (index: number): Promise<DistillResult> | undefined => {
    const job = jobs[index];
    if (!job) return undefined;
    if (!running.has(index)) {
      options.onDistill?.(index, jobs.length, job.detail);
      running.set(index, pool.distill(splits[job.fold]!.train, { ...job.distill, seed: job.seed }));
    }
    return running.get(index);
  };
  let distillSeconds = 0;
  let distillSteps = 0;
  try {
    for (const [index, job] of jobs.entries()) {
      for (let ahead = index; ahead < index + Math.max(1, options.workers?.threads ?? 1); ahead++)
        void startJob(ahead)?.catch(() => {});
      const result = await startJob(index)!;
      running.delete(index);
      distillSeconds += result.seconds;
      distillSteps += result.steps;
      const { train, test } = splits[job.fold]!;
      const generator = loadGenerator(createGeneratorBundle(result, train, options.backend), 'benchmark');
      try {
        for (const method of job.methods) evaluateMethod(job, method, generator, train, test);
      } finally {
        disposeGenerator(generator);
      }
    }
  } finally {
    await Promise.allSettled(running.values());
    await pool.close();
  }

  function evaluateMethod(
    job: DistillJob,
    method: BenchmarkMethod,
    generator: GeneratorForSampling,
    train: FeatureSet,
    test: FeatureSet,
  ): void {
    const { fold, seedIndex } = job;
    // The method's own sampling, whichever method's bundle the generator came in.
    const sample = (ipc: number, sampling?: Partial<SamplingDefaults>): FeatureSet =>
      sampleFeatureSet(
        generator,
        { ipc, prior: 'balanced', seed: 1, selection: 'herding', temperature: 1, ...method.sampling, ...sampling },
        'synthetic',
      );
    const mainName = synthesisName(main!, options.methods);
    if (job.ablation) {
      record(
        fold,
        `${mainName} ${job.ablation.name}`,
        ablationIpc!,
        method.sampling.labels,
        sample(ablationIpc!),
        test,
        mainName,
      );
      return;
    }
    if (seedIndex === 0 && method === main) record(fold, 'real-full', null, 'hard', train, test);
    const name = synthesisName(method, options.methods);
    if (options.stream && method === main) {
      const result = evaluateGeneratorStream(generator, test, { seeds: options.seeds, steps: options.stream.steps });
      // What the stream trains from is the generator (and labeler) itself.
      const bytes = generator.network.variables
        .concat(generator.labeler?.variables ?? [])
        .reduce((sum, v) => sum + v.size * 4, 0);
      recordRuns(fold, `${name} stream`, null, result.labels, result.runs, bytes);
    }
    for (const ipc of options.ipcs) {
      record(fold, name, ipc, method.sampling.labels, sample(ipc), test);
      for (const coreset of coresets) {
        const key = coresetName(coreset, method.sampling.labels);
        // One coreset row per label treatment, recorded once per fold and generator seed whichever method asks.
        if ((rows.get(`${key}@${ipc}`)?.foldRuns[fold]?.length ?? 0) >= (seedIndex + 1) * options.seeds.length)
          continue;
        // Each generator seed draws its own random subset, as it draws its own generator.
        const subset = selectCoreset(train, coreset, ipc, fold * 1000 + seedIndex);
        const labelled = method.sampling.labels === 'soft' ? withLabelerProbabilities(subset, generator) : subset;
        record(fold, key, ipc, method.sampling.labels, labelled, test);
      }
    }
    if (seedIndex !== 0 || method !== main) return;
    if (options.priorIpc)
      record(
        fold,
        `${name} real-prior`,
        options.priorIpc,
        method.sampling.labels,
        sampleFeatureSet(
          generator,
          {
            ipc: options.priorIpc,
            prior: 'real',
            seed: 1,
            realClassCounts: classCounts(train),
            selection: 'herding',
            temperature: 1,
            ...method.sampling,
          },
          'synthetic',
        ),
        test,
        name,
      );
    for (const ablation of ablations.filter((a) => !a.distill))
      record(
        fold,
        `${name} ${ablation.name}`,
        ablationIpc!,
        ablation.sampling?.labels ?? method.sampling.labels,
        sample(ablationIpc!, ablation.sampling),
        test,
        name,
      );
  }

  return summarise(rows, {
    protocol: options.protocol,
    folds,
    generatorSeeds: options.generatorSeeds,
    distillSecondsPerRun: distillSeconds / Math.max(1, jobs.length),
    stepsPerSecond: distillSteps / distillSeconds,
    backend: options.backend,
    methods: options.methods.map((method) => ({ ...method, config: resolveDistillConfig(method.distill) })),
    seconds: (performance.now() - started) / 1000,
  });
}

/** Rows in order of first appearance grouped by kind, then by IPC; paired differences of every synthetic row. */
function summarise(
  rows: ReadonlyMap<string, Accumulator>,
  rest: Omit<DistillBenchmarkResult, 'rows' | 'pairedDifferences'>,
): DistillBenchmarkResult {
  const reference = rows.get('real-full@all')!;
  const kinds = [...new Set([...rows.values()].map((acc) => acc.row))];
  const ordered = [...rows.values()].sort(
    (a, b) => kinds.indexOf(a.row) - kinds.indexOf(b.row) || (a.ipc ?? 0) - (b.ipc ?? 0),
  );
  const referenceSeconds = meanAndStd(reference.seconds).mean;
  const referenceBytes = meanAndStd(reference.bytes).mean;
  const table: BenchmarkRow[] = ordered.map((acc) => {
    const trainSeconds = meanAndStd(acc.seconds).mean;
    const trainBytes = meanAndStd(acc.bytes).mean;
    return {
      row: acc.row,
      ipc: acc.ipc,
      labels: acc.labels,
      ...(acc.variantOf && { variantOf: acc.variantOf }),
      uar: meanAndStd(acc.foldRuns.flat()),
      perFold: acc.foldRuns.map((runs) => meanAndStd(runs).mean),
      wa: meanAndStd(acc.was),
      trainSeconds,
      trainBytes,
      relativeTrainTime: trainSeconds / referenceSeconds,
      relativeBytes: trainBytes / referenceBytes,
    };
  });
  const realFull = table.find((row) => row.row === 'real-full')!;
  const difference = (row: BenchmarkRow, other: BenchmarkRow): BenchmarkDifference => {
    const paired = pairedDifference(row.perFold, other.perFold);
    return {
      row: row.row,
      versus: other.row,
      ipc: row.ipc,
      mean: paired.mean,
      interval: paired.interval,
      perFold: paired.perPair,
    };
  };
  // A method's synthetic rows against each coreset of the same label treatment and real-full; a variant against its row.
  const pairedDifferences = table.flatMap((row) => {
    if (row.variantOf) {
      const base = table.find((other) => other.row === row.variantOf && other.ipc === row.ipc);
      return base ? [difference(row, base)] : [];
    }
    if (!row.row.startsWith('synthetic')) return [];
    const coresetRows = table.filter(
      (other) =>
        other.ipc === row.ipc && CORESET_METHODS.some((method) => other.row === coresetName(method, row.labels)),
    );
    return [...coresetRows, realFull].map((other) => difference(row, other));
  });
  // The main method against each other one, at each IPC.
  const [main, ...others] = rest.methods;
  const methodRow = (method: BenchmarkMethod, ipc: number | null): BenchmarkRow | undefined =>
    table.find((row) => row.row === synthesisName(method, rest.methods) && row.ipc === ipc);
  for (const other of others)
    for (const row of table.filter((r) => r.row === synthesisName(main!, rest.methods))) {
      const otherRow = methodRow(other, row.ipc);
      if (otherRow) pairedDifferences.push(difference(row, otherRow));
    }
  return { ...rest, rows: table, pairedDifferences };
}
