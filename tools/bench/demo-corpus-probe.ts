/**
 * Measures a demo corpus the way issue 15 asks: how identifiable its speakers are and how hard
 * its emotions are, on the features `emodistill corpus import` extracts.
 *
 *   npx tsx --conditions=source tools/bench/demo-corpus-probe.ts <features.arrow>
 *     [--protocol speaker-kfold:5] [--seeds 3] [--backend auto] [--json <file>]
 *
 * - speaker ID: per speaker, the utterances sorted by id are dealt alternately to a training and
 *   a test half (so both halves hold every emotion); core's downstream MLP is trained on the
 *   training halves of all speakers and its accuracy is read on the test halves (chance 1/speakers).
 * - real-full UAR: the downstream emotion classifier trained on all training speakers of each
 *   speaker-independent fold and tested on the held-out speakers, mean ± std over folds × seeds,
 *   as `emodistill bench distill` reports its real-full row.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  applyStandardiser,
  evaluateDownstream,
  fitStandardiser,
  foldsFor,
  meanAndStd,
  parseFoldProtocol,
  readFeatureSet,
  selectBackend,
  selectRows,
  splitBySpeakers,
  trainClassifier,
  weightedAccuracy,
  type FeatureSet,
} from '@emodistill/core';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    protocol: { type: 'string', default: 'speaker-kfold:5' },
    seeds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'string' },
  },
});
const [path] = positionals;
if (path === undefined) {
  console.error(
    'usage: tsx --conditions=source tools/bench/demo-corpus-probe.ts <features.arrow> [--protocol p] [--seeds n]',
  );
  process.exit(2);
}

const backend = await selectBackend(args.backend as 'auto');
const set = await readFeatureSet(path);
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
const speakers = [...new Set(set.speakers)].sort();
console.log(
  `${path}: ${set.ids.length} utterances, ${speakers.length} speakers, ${set.classNames.join('/')}, ` +
    `${set.dimension} features (${set.spec.name}), backend ${backend}`,
);

const pct = (stat: { mean: number; std: number }): string =>
  `${(stat.mean * 100).toFixed(1)} ± ${(stat.std * 100).toFixed(1)} %`;

/** Speaker-ID accuracy on the held-out half of each speaker's utterances, once per seed. */
function speakerIdAccuracy(features: FeatureSet): number[] {
  const inTrainHalf = new Array<boolean>(features.ids.length);
  for (const speaker of speakers) {
    const rows = features.ids.flatMap((id, i) => (features.speakers[i] === speaker ? [i] : []));
    rows.sort((a, b) => (features.ids[a]! < features.ids[b]! ? -1 : 1));
    rows.forEach((row, k) => (inTrainHalf[row] = k % 2 === 0));
  }
  const train = selectRows(features, (i) => inTrainHalf[i]!);
  const test = selectRows(features, (i) => !inTrainHalf[i]!);
  const speakerIndex = new Map(speakers.map((s, i) => [s, i]));
  const labels = (part: FeatureSet): Int32Array => Int32Array.from(part.speakers, (s) => speakerIndex.get(s)!);
  const standardiser = fitStandardiser(train.features, train.dimension);
  const x = applyStandardiser(train.features, standardiser);
  const testX = applyStandardiser(test.features, standardiser);
  return seeds.map((seed) => {
    const classifier = trainClassifier(
      { x, labels: labels(train), dimension: train.dimension, classCount: speakers.length },
      { seed },
    );
    try {
      return weightedAccuracy(labels(test), classifier.predict(testX));
    } finally {
      classifier.dispose();
    }
  });
}

let started = performance.now();
const speakerId = meanAndStd(speakerIdAccuracy(set));
console.log(
  `speaker ID (half of each speaker's utterances held out): ${pct(speakerId)} ` +
    `(chance ${(100 / speakers.length).toFixed(1)} %, ${((performance.now() - started) / 1000).toFixed(0)} s)`,
);

started = performance.now();
const protocol = parseFoldProtocol(args.protocol);
const uars: number[] = [];
const perFold: number[] = [];
for (const fold of foldsFor(set, protocol)) {
  const { train, test } = splitBySpeakers(set, fold);
  const result = evaluateDownstream(train, test, { seeds });
  uars.push(...result.runs.map((run) => run.uar));
  perFold.push(result.uar.mean);
  process.stderr.write(`  fold ${fold.length} speakers (${fold[0]}…): UAR ${(result.uar.mean * 100).toFixed(1)} %\n`);
}
const uar = meanAndStd(uars);
console.log(
  `real-full UAR (${protocol}, speaker-independent): ${pct(uar)} ` +
    `(chance ${(100 / set.classNames.length).toFixed(1)} %, ${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
if (args.json !== undefined) {
  const report = {
    path,
    utterances: set.ids.length,
    speakers: speakers.length,
    protocol,
    seeds,
    speakerId,
    uar,
    perFold,
  };
  await writeFile(args.json, JSON.stringify(report, null, 2) + '\n');
}
