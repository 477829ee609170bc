/**
 * `npm run bench:federated`: federated distillation on EmoDB 4-class. Per fold of the
 * speaker-independent protocol (held-out pair as in the corpus README), the 8 training speakers are
 * dealt over 3 sites (whole speakers: non-IID). Compared at IPC 50 on the held-out speakers:
 *   - federated: a real coordinator and 3 site-agent processes on 127.0.0.1, R rounds × S local steps;
 *   - centralised: one generator on all training speakers pooled (R·S steps, the same budget);
 *   - local-only: each site's own generator on its own speakers (R·S steps each), mean over sites;
 *   - real-full for reference.
 * Also: bytes each site sends and receives per round, and the time to aggregate 100 site updates
 * of the generator's size with each strategy.
 * Federated and centralised are trained with several generator seeds per fold (one generator moves
 * a fold's UAR by ± 5 points, more than the differences in question); local-only with the first.
 * Options: --emodb <wav dir>, --folds 1,2 (1-based, default all 5), --rounds R (10), --local-steps S (200),
 * --seeds N classifier seeds (3), --generator-seeds K (2), --latent-radius r (the coordinator's default;
 * 0 = no site regions), --json <file>.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  aggregateCoordinateMedian,
  aggregateTrimmedMean,
  aggregateWeightedMean,
  createGeneratorBundle,
  createRng,
  decodeSafetensors,
  DEFAULT_LATENT_RADIUS,
  distill,
  EMODB_FOLDS,
  encodeGeneratorBundle,
  encodeSafetensors,
  extractFeatureSet,
  initialGeneratorWeights,
  listEmodb,
  meanAndStd,
  selectBackend,
  selectRows,
  splitBySpeakers,
  type WeightSnapshot,
} from '@emodistill/core';
import { evaluateGenerator, runSimulation, splitSpeakersOverSites } from '@emodistill/harness';

const { values: args } = parseArgs({
  options: {
    emodb: { type: 'string', default: fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url)) },
    folds: { type: 'string', default: '1,2,3,4,5' },
    rounds: { type: 'string', default: '10' },
    'local-steps': { type: 'string', default: '200' },
    seeds: { type: 'string', default: '3' },
    'generator-seeds': { type: 'string', default: '2' },
    'latent-radius': { type: 'string' },
    ipc: { type: 'string', default: '50' },
    json: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const localSteps = Number(args['local-steps']);
const ipc = Number(args.ipc);
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
const generatorSeeds = Array.from({ length: Number(args['generator-seeds']) }, (_, i) => i);
const latentRadius = args['latent-radius'] === undefined ? DEFAULT_LATENT_RADIUS : Number(args['latent-radius']);
const folds = args.folds.split(',').map((f) => Number(f) - 1);
const steps = rounds * localSteps;

const backend = await selectBackend('auto');
const { set } = await extractFeatureSet(await listEmodb(args.emodb, '4class'));
console.log(
  `EmoDB 4-class · backend ${backend} · ${rounds} rounds × ${localSteps} local steps (= ${steps} steps for centralised and local-only) · latent radius ${latentRadius} · IPC ${ipc} · ${generatorSeeds.length} generator seeds × ${seeds.length} classifier seeds`,
);

const percent = (x: number): string => (100 * x).toFixed(1);

/**
 * Client drift, from the updates the coordinator stored: per training round, the mean pairwise
 * cosine between the sites' Δ and the norm of their mean relative to their mean norm (1 = the
 * sites agree; near 0 = their updates cancel out).
 */
function driftPerRound(updatesDir: string): { round: number; meanCosine: number; normRatio: number }[] {
  const byRound = new Map<number, Float32Array[]>();
  for (const file of readdirSync(updatesDir)
    .filter((f) => !f.startsWith('r0-'))
    .sort()) {
    const flat = Float32Array.from(
      decodeSafetensors(readFileSync(join(updatesDir, file)), file).tensors.flatMap((t) => Array.from(t.values)),
    );
    const round = Number(/^r(\d+)-/.exec(file)![1]);
    byRound.set(round, [...(byRound.get(round) ?? []), flat]);
  }
  const dot = (a: Float32Array, b: Float32Array): number => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  return [...byRound]
    .sort((a, b) => a[0] - b[0])
    .map(([round, deltas]) => {
      const norms = deltas.map((d) => Math.sqrt(dot(d, d)));
      const mean = deltas[0]!.map((_, i) => deltas.reduce((sum, d) => sum + d[i]!, 0) / deltas.length);
      const cosines = deltas.flatMap((a, i) =>
        deltas.slice(i + 1).map((b, j) => dot(a, b) / norms[i]! / norms[i + 1 + j]!),
      );
      return {
        round,
        meanCosine: cosines.reduce((a, b) => a + b, 0) / cosines.length,
        normRatio: Math.sqrt(dot(mean, mean)) / (norms.reduce((a, b) => a + b, 0) / norms.length),
      };
    });
}
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const rows: Record<string, unknown>[] = [];
for (const fold of folds) {
  const testSpeakers = [...EMODB_FOLDS[fold]!];
  const { train, test } = splitBySpeakers(set, testSpeakers);
  const federated: number[] = [];
  const centralised: number[] = [];
  const seconds = { federated: [] as number[], centralised: [] as number[] };
  let drift: ReturnType<typeof driftPerRound> = [];
  let realFull = 0;
  const trainGenerator = async (rowsOf: typeof train, seed: number) => {
    const result = await distill(rowsOf, { steps, seed });
    return {
      result,
      uar: evaluateGenerator(createGeneratorBundle(result, rowsOf, backend), test, ipc, seeds).uar.mean,
    };
  };
  for (const seed of generatorSeeds) {
    const started = performance.now();
    const simulation = await runSimulation({
      train,
      test,
      outDir: await mkdtemp(join(tmpdir(), 'bench-federated-')),
      sites: 3,
      rounds,
      localSteps,
      ipc,
      evaluationSeeds: seeds,
      distill: { seed },
      modelSeed: seed,
      latentRadius,
      log: pino({ level: 'warn' }),
    });
    seconds.federated.push((performance.now() - started) / 1000);
    federated.push(simulation.federated.uar.mean);
    realFull = simulation.realFull.uar.mean;
    if (seed === generatorSeeds[0]) drift = driftPerRound(join(simulation.layout.dir, 'coordinator-data', 'updates'));
    const central = await trainGenerator(train, seed);
    centralised.push(central.uar);
    seconds.centralised.push(central.result.seconds);
    console.log(
      `fold ${fold + 1} generator seed ${seed}: UAR % federated ${percent(federated.at(-1)!)} · centralised ${percent(central.uar)}`,
    );
  }
  const siteSpeakers = splitSpeakersOverSites(train.speakers, 3);
  const local: number[] = [];
  for (const speakers of siteSpeakers) {
    const mine = new Set(speakers);
    local.push(
      (
        await trainGenerator(
          selectRows(train, (i) => mine.has(train.speakers[i]!)),
          generatorSeeds[0]!,
        )
      ).uar,
    );
  }
  const row = {
    fold: fold + 1,
    testSpeakers,
    sites: siteSpeakers,
    federatedBySeed: federated,
    centralisedBySeed: centralised,
    federated: mean(federated),
    centralised: mean(centralised),
    localOnly: local,
    localOnlyMean: mean(local),
    realFull,
    federatedSeconds: mean(seconds.federated),
    centralisedSeconds: mean(seconds.centralised),
    drift,
  };
  rows.push(row);
  console.log(
    `fold ${row.fold} drift (round: mean cosine between site updates / |mean Δ| ÷ mean |Δ|): ${drift.map((d) => `${d.round}: ${d.meanCosine.toFixed(2)}/${d.normRatio.toFixed(2)}`).join(' · ')}\n` +
      `fold ${row.fold} (test ${testSpeakers.join(',')}): UAR % federated ${percent(row.federated)} (${federated.map(percent).join(' / ')}) · centralised ${percent(row.centralised)} (${centralised.map(percent).join(' / ')}) · local-only ${local.map(percent).join(' / ')} (mean ${percent(row.localOnlyMean)}) · real-full ${percent(row.realFull)} · federation ${row.federatedSeconds.toFixed(0)} s, centralised ${row.centralisedSeconds.toFixed(0)} s`,
  );
}

const summary = (key: 'federated' | 'centralised' | 'localOnlyMean' | 'realFull'): { mean: number; std: number } =>
  meanAndStd(rows.map((r) => r[key] as number));
const table = (['federated', 'centralised', 'localOnlyMean', 'realFull'] as const).map((key) => ({
  key,
  ...summary(key),
}));
console.log(`\nmean over ${rows.length} fold(s), UAR %:`);
for (const { key, mean, std } of table) console.log(`  ${key.padEnd(14)} ${percent(mean)} ± ${percent(std)}`);
const gap = rows.map((r) => (r.federated as number) - (r.centralised as number));
console.log(
  `  federated − centralised per fold: ${gap.map((g) => (100 * g).toFixed(1)).join(', ')} points (mean ${(100 * mean(gap)).toFixed(1)})`,
);

// Bytes per site per round: one model download (bundle) and one update upload (Δ as safetensors).
const architecture = { noiseDimension: 64, hiddenUnits: [256, 256], classCount: 4, outputDimension: set.dimension };
const weights = initialGeneratorWeights(architecture, 0);
const updateBytes = encodeSafetensors(weights, {}).byteLength;
const downloadBytes =
  rows.length > 0
    ? encodeGeneratorBundle({
        metadata: {
          formatVersion: '1',
          architecture: {
            kind: 'conditional-mlp-generator',
            noiseDimension: 64,
            hiddenUnits: [256, 256],
            activation: 'leakyRelu',
            outputDimension: set.dimension,
            conditioning: 'concat-one-hot',
          },
          classNames: set.classNames,
          featureSpec: set.spec,
          trainingConfig: {},
          provenance: {
            createdAt: '',
            tool: '',
            trainingRows: 0,
            trainingSpeakers: 0,
            corpusSource: '',
            steps: 0,
            seconds: 0,
            backend: '',
          },
        },
        weights,
        standardiser: { mean: new Float32Array(set.dimension), std: new Float32Array(set.dimension) },
      }).byteLength
    : 0;
console.log(
  `\nper site per round: uploads ${(updateBytes / 1024).toFixed(0)} KiB (Δ), downloads ${(downloadBytes / 1024).toFixed(0)} KiB (global bundle); statistics round: ${((2 * 4 * set.dimension) / 1024).toFixed(1)} KiB up`,
);

// Aggregation time for 100 site updates of the generator's size.
const rng = createRng(5);
const updates: WeightSnapshot[] = Array.from({ length: 100 }, () =>
  weights.map((t) => ({ ...t, values: Float32Array.from(t.values, () => rng.next() - 0.5) })),
);
const time = (f: () => unknown): number => {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
};
const aggregation = {
  fedAvg: time(() => aggregateWeightedMean(updates.map((u, i) => ({ weights: u, numExamples: 50 + i })))),
  median: time(() => aggregateCoordinateMedian(updates)),
  trimmedMean: time(() => aggregateTrimmedMean(updates, 0.2)),
};
const parameters = weights.reduce((n, t) => n + t.values.length, 0);
console.log(
  `aggregating 100 updates of ${parameters.toLocaleString('en')} parameters: FedAvg ${aggregation.fedAvg.toFixed(2)} s · median ${aggregation.median.toFixed(2)} s · trimmed mean ${aggregation.trimmedMean.toFixed(2)} s`,
);

if (args.json)
  await writeFile(
    args.json,
    `${JSON.stringify({ rounds, localSteps, ipc, latentRadius, seeds: seeds.length, generatorSeeds: generatorSeeds.length, folds: rows, summary: table, updateBytes, downloadBytes, aggregation, parameters }, null, 2)}\n`,
  );
