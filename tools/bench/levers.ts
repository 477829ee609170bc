/**
 * `npm run bench:levers`: screens distillation quality levers (issue 16) from one training per
 * fold: the generator's last weights against their moving average, at half and full length;
 * plain sampling against oversample-and-select (herding in a real-trained classifier's hidden
 * layer); hard against soft labels (that classifier's probabilities) — beside random, herding and
 * k-center coresets with the same label treatment. Per-fold UAR to --json; a table to stdout.
 * Options: --features <arrow> (default EmoDB 4-class from ../shared), --protocol, --ipc 1,10,50,
 * --steps N, --ema 0.999, --oversample 20, --seeds 3, --generator-seed 0, --folds N, --json <file>,
 * --distill '<json of distill options>'.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  applySnapshot,
  applyStandardiser,
  createDistillTrainer,
  createGeneratorNetwork,
  evaluateDownstream,
  extractFeatureSet,
  foldsFor,
  labelIndices,
  listEmodb,
  meanAndStd,
  parseFoldProtocol,
  readFeatureSet,
  resolveDistillConfig,
  restrictClasses,
  sampleFeatureSet,
  selectBackend,
  selectByHerding,
  selectCoreset,
  selectRows,
  splitBySpeakers,
  trainClassifier,
  trainSteps,
  type FeatureSet,
  type TrainedClassifier,
  type WeightSnapshot,
} from '@emodistill/core';

const { values: args } = parseArgs({
  options: {
    features: { type: 'string' },
    emodb: { type: 'string', default: fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url)) },
    task: { type: 'string', default: '4class' },
    protocol: { type: 'string', default: 'emodb5' },
    ipc: { type: 'string', default: '1,10,50' },
    steps: { type: 'string', default: '2000' },
    ema: { type: 'string', default: '0.999' },
    oversample: { type: 'string', default: '20' },
    seeds: { type: 'string', default: '3' },
    'generator-seed': { type: 'string', default: '0' },
    folds: { type: 'string' },
    distill: { type: 'string', default: '{}' },
    json: { type: 'string' },
  },
});

const backend = await selectBackend('auto', 'auto');
const full: FeatureSet = args.features
  ? await readFeatureSet(args.features)
  : await (async () => {
      const { set } = await extractFeatureSet(await listEmodb(args.emodb, '7class'));
      return args.task === '4class' ? restrictClasses(set, ['anger', 'happiness', 'neutral', 'sadness']) : set;
    })();
const ipcs = args.ipc.split(',').map(Number);
const steps = Number(args.steps);
const oversample = Number(args.oversample);
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
const folds = foldsFor(full, parseFoldProtocol(args.protocol)).slice(0, args.folds ? Number(args.folds) : undefined);
const classCount = full.classNames.length;

/** UAR per fold of each row name (row@ipc). */
const perFold = new Map<string, number[]>();
const record = (name: string, train: FeatureSet, test: FeatureSet): void => {
  const uar = evaluateDownstream(train, test, { seeds }).uar.mean;
  perFold.set(name, [...(perFold.get(name) ?? []), uar]);
};

/** The same rows with the labeler's probabilities as soft labels (standardised as the labeler was trained). */
function withSoftLabels(
  set: FeatureSet,
  labeler: TrainedClassifier,
  standardise: (x: Float32Array) => Float32Array,
): FeatureSet {
  return { ...set, probabilities: labeler.predictProbabilities(standardise(set.features)) };
}

const started = performance.now();
for (const [index, testSpeakers] of folds.entries()) {
  const { train, test } = splitBySpeakers(full, testSpeakers);
  const distillOptions = resolveDistillConfig({
    steps,
    emaDecay: Number(args.ema),
    seed: Number(args['generator-seed']),
    ...(JSON.parse(args.distill) as object),
  });
  const trainer = createDistillTrainer(train, distillOptions);
  const standardise = (x: Float32Array): Float32Array => applyStandardiser(x, trainer.standardiser);
  const labeler = trainClassifier(
    { x: standardise(train.features), labels: labelIndices(train), dimension: train.dimension, classCount },
    { seed: 17 + index },
  );
  const snapshots: [string, WeightSnapshot][] = [];
  trainer.preparePool(0);
  await trainSteps(trainer, 0, steps / 2);
  snapshots.push(
    [`last@${steps / 2}`, trainer.generatorWeights()],
    [`ema@${steps / 2}`, trainer.releasedGeneratorWeights()],
  );
  await trainSteps(trainer, steps / 2, steps);
  snapshots.push([`last@${steps}`, trainer.generatorWeights()], [`ema@${steps}`, trainer.releasedGeneratorWeights()]);
  trainer.dispose();

  record('real-full', train, test);
  for (const ipc of ipcs)
    for (const method of ['random', 'herding', 'k-center'] as const) {
      const coreset = selectCoreset(train, method, ipc, index);
      record(`${method} hard@${ipc}`, coreset, test);
      record(`${method} soft@${ipc}`, withSoftLabels(coreset, labeler, standardise), test);
    }
  for (const [name, weights] of snapshots) {
    const network = createGeneratorNetwork({ dimension: train.dimension, classCount }, distillOptions);
    applySnapshot(network, weights, name);
    const generator = {
      network,
      noiseDimension: distillOptions.noiseDimension,
      classNames: train.classNames,
      standardiser: trainer.standardiser,
      spec: train.spec,
    };
    for (const ipc of ipcs) {
      const plain = sampleFeatureSet(generator, { ipc, prior: 'balanced', seed: 1 }, 'synthetic');
      record(`gen ${name} plain hard@${ipc}`, plain, test);
      record(`gen ${name} plain soft@${ipc}`, withSoftLabels(plain, labeler, standardise), test);
      const candidates = sampleFeatureSet(
        generator,
        { ipc: ipc * oversample, prior: 'balanced', seed: 2 },
        'synthetic',
      );
      const embedding = tf.tidy(() => {
        const { output, penultimate } = labeler.network.apply(
          tf.tensor2d(standardise(candidates.features), [candidates.ids.length, train.dimension]),
        );
        output.dispose();
        return penultimate.dataSync() as Float32Array;
      });
      const width = embedding.length / candidates.ids.length;
      const kept = new Set(
        selectByHerding(embedding, width, labelIndices(candidates), new Array<number>(classCount).fill(ipc)),
      );
      const selected = selectRows(candidates, (row) => kept.has(row));
      record(`gen ${name} select hard@${ipc}`, selected, test);
      record(`gen ${name} select soft@${ipc}`, withSoftLabels(selected, labeler, standardise), test);
    }
    network.dispose();
  }
  labeler.dispose();
  console.error(
    `fold ${index + 1}/${folds.length} done after ${((performance.now() - started) / 1000).toFixed(0)} s (${tf.memory().numTensors} tensors)`,
  );
}

const rows = [...perFold.entries()].map(([name, uars]) => ({ name, perFold: uars, mean: meanAndStd(uars).mean }));
for (const row of rows)
  console.log(
    `${row.name.padEnd(40)} ${(row.mean * 100).toFixed(1).padStart(5)}  [${row.perFold.map((u) => (u * 100).toFixed(1)).join(' ')}]`,
  );
if (args.json)
  await writeFile(
    args.json,
    `${JSON.stringify({ args, backend, folds, seconds: (performance.now() - started) / 1000, rows }, null, 2)}\n`,
  );
