import { distill } from '../distill/train-loop.js';
import { resolveDistillConfig, type DistillOptions } from '../generator/distill-config.js';
import { createGeneratorBundle, loadGenerator } from '../distill/bundle.js';
import { sampleFeatureSet, type SamplePrior } from '../distill/sample.js';
import { labelIndices, type FeatureSet } from '../formats/feature-set.js';
import { selectCoreset, type CoresetMethod } from './coresets.js';
import { evaluateDownstream } from './downstream.js';
import { foldsFor, splitBySpeakers, type FoldProtocol } from './folds.js';
import { meanAndStd } from './metrics.js';

/** A distillation variant: the default losses, or one term switched off (ablation). */
export interface DistillVariant {
  readonly name: string;
  readonly options: DistillOptions;
}

export const ABLATIONS: readonly DistillVariant[] = [
  { name: 'no L_FM', options: { featureMatchingWeight: 0 } },
  { name: 'no L_SML', options: { softmaxMatchingWeight: 0 } },
  { name: 'no L_DIV', options: { diversityWeight: 0 } },
];

export interface DistillBenchmarkOptions {
  readonly protocol: FoldProtocol;
  readonly ipcs: readonly number[];
  /** Downstream classifier seeds per training set. */
  readonly seeds: readonly number[];
  readonly distill?: DistillOptions;
  /** Also distil with each loss term off (3 more distillations per fold) at this IPC. */
  readonly ablationIpc?: number;
  /** Also compare the real class prior with the balanced one at this IPC. */
  readonly priorIpc?: number;
  readonly coresets?: readonly CoresetMethod[];
  readonly backend: string;
  readonly sexOf?: (speaker: string) => string | undefined;
  readonly onFold?: (fold: number, folds: number, testSpeakers: readonly string[]) => void;
}

/** One row of the table: a training-set kind at an IPC, over folds × seeds. */
export interface BenchmarkRow {
  readonly row: string;
  readonly ipc: number | null;
  readonly uar: { mean: number; std: number };
  /** UAR per fold (mean over the classifier seeds), in fold order: for paired comparisons between rows. */
  readonly uarPerFold: readonly number[];
  readonly wa: { mean: number; std: number };
  readonly trainSeconds: number;
  readonly trainBytes: number;
  /** Downstream training time and bytes relative to real-full (1 = the same). */
  readonly relativeTrainTime: number;
  readonly relativeBytes: number;
}

export interface DistillBenchmarkResult {
  readonly protocol: FoldProtocol;
  readonly folds: readonly (readonly string[])[];
  readonly rows: readonly BenchmarkRow[];
  readonly distillSecondsPerFold: number;
  readonly stepsPerSecond: number;
  readonly backend: string;
  readonly config: ReturnType<typeof resolveDistillConfig>;
}

interface Accumulator {
  row: string;
  ipc: number | null;
  uars: number[];
  foldUars: number[];
  was: number[];
  seconds: number[];
  bytes: number[];
}

function classCounts(set: FeatureSet): number[] {
  const labels = labelIndices(set);
  return set.classNames.map((_, c) => labels.filter((label) => label === c).length);
}

async function synthesise(
  train: FeatureSet,
  options: DistillOptions,
  backend: string,
  samples: readonly { ipc: number; prior: SamplePrior }[],
): Promise<{ sets: FeatureSet[]; seconds: number; steps: number }> {
  const result = await distill(train, options);
  const generator = loadGenerator(createGeneratorBundle(result, train, backend), 'benchmark');
  try {
    const realClassCounts = classCounts(train);
    return {
      sets: samples.map(({ ipc, prior }) =>
        sampleFeatureSet(generator, { ipc, prior, seed: 1, realClassCounts }, 'synthetic'),
      ),
      seconds: result.seconds,
      steps: result.steps,
    };
  } finally {
    generator.network.dispose();
  }
}

/**
 * The distillation benchmark: per fold, train the downstream classifier on real-full, random and
 * coreset subsets and synthetic sets at each IPC (plus ablations and the real prior), test on the
 * fold's held-out speakers, and aggregate over folds × seeds.
 */
export async function runDistillBenchmark(
  set: FeatureSet,
  options: DistillBenchmarkOptions,
): Promise<DistillBenchmarkResult> {
  const folds = foldsFor(set, options.protocol, options.sexOf);
  const rows = new Map<string, Accumulator>();
  const record = (row: string, ipc: number | null, train: FeatureSet, test: FeatureSet): void => {
    const result = evaluateDownstream(train, test, { seeds: options.seeds });
    const key = `${row}@${ipc ?? 'all'}`;
    const accumulator = rows.get(key) ?? { row, ipc, uars: [], foldUars: [], was: [], seconds: [], bytes: [] };
    result.runs.forEach((run) => {
      accumulator.uars.push(run.uar);
      accumulator.was.push(run.wa);
      accumulator.seconds.push(run.trainSeconds);
    });
    accumulator.foldUars.push(meanAndStd(result.runs.map((run) => run.uar)).mean);
    accumulator.bytes.push(result.trainBytes);
    rows.set(key, accumulator);
  };
  let distillSeconds = 0;
  let distillSteps = 0;
  for (const [index, testSpeakers] of folds.entries()) {
    options.onFold?.(index + 1, folds.length, testSpeakers);
    const { train, test } = splitBySpeakers(set, testSpeakers);
    record('real-full', null, train, test);
    for (const ipc of options.ipcs) {
      record('random-real', ipc, selectCoreset(train, 'random', ipc, index), test);
      for (const method of options.coresets ?? ['herding'])
        record(`coreset ${method}`, ipc, selectCoreset(train, method, ipc, index), test);
    }
    const samples = [
      ...options.ipcs.map((ipc) => ({ ipc, prior: 'balanced' as const })),
      ...(options.priorIpc ? [{ ipc: options.priorIpc, prior: 'real' as const }] : []),
    ];
    const main = await synthesise(train, options.distill ?? {}, options.backend, samples);
    distillSeconds += main.seconds;
    distillSteps += main.steps;
    samples.forEach(({ ipc, prior }, i) =>
      record(prior === 'balanced' ? 'synthetic' : 'synthetic real-prior', ipc, main.sets[i]!, test),
    );
    if (options.ablationIpc) {
      for (const ablation of ABLATIONS) {
        const variant = await synthesise(train, { ...options.distill, ...ablation.options }, options.backend, [
          { ipc: options.ablationIpc, prior: 'balanced' },
        ]);
        record(`synthetic ${ablation.name}`, options.ablationIpc, variant.sets[0]!, test);
      }
    }
  }
  const reference = rows.get('real-full@all')!;
  // Group the table by kind of training set (in order of first appearance), then by IPC.
  const kinds = [...new Set([...rows.values()].map((acc) => acc.row))];
  const ordered = [...rows.values()].sort(
    (a, b) => kinds.indexOf(a.row) - kinds.indexOf(b.row) || (a.ipc ?? 0) - (b.ipc ?? 0),
  );
  const referenceSeconds = meanAndStd(reference.seconds).mean;
  const referenceBytes = meanAndStd(reference.bytes).mean;
  return {
    protocol: options.protocol,
    folds,
    rows: ordered.map((acc) => {
      const trainSeconds = meanAndStd(acc.seconds).mean;
      const trainBytes = meanAndStd(acc.bytes).mean;
      return {
        row: acc.row,
        ipc: acc.ipc,
        uar: meanAndStd(acc.uars),
        uarPerFold: acc.foldUars,
        wa: meanAndStd(acc.was),
        trainSeconds,
        trainBytes,
        relativeTrainTime: trainSeconds / referenceSeconds,
        relativeBytes: trainBytes / referenceBytes,
      };
    }),
    distillSecondsPerFold: distillSeconds / folds.length,
    stepsPerSecond: distillSteps / distillSeconds,
    backend: options.backend,
    config: resolveDistillConfig(options.distill),
  };
}
