/**
 * `npm run bench:baseline`: the real-data baseline on EmoDB with the speaker-independent 5-fold
 * protocol of ../shared/datasets/emodb/README.md — the downstream MLP trained on the default
 * features, UAR and WA (mean ± std over folds × seeds) for the 7- and 4-class tasks, plus
 * feature-extraction throughput. Options: --emodb <wav dir>, --seeds N, --json <file>.
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  EMODB_FOLDS,
  evaluateDownstream,
  extractFeatureSet,
  listEmodb,
  meanAndStd,
  resolveClassifierConfig,
  restrictClasses,
  selectBackend,
  splitBySpeakers,
  type FeatureSet,
} from '@emodistill/core';

const { values: args } = parseArgs({
  options: {
    emodb: { type: 'string', default: fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url)) },
    seeds: { type: 'string', default: '3' },
    json: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
  },
});

const pct = (stat: { mean: number; std: number }): string =>
  `${(stat.mean * 100).toFixed(1)} ± ${(stat.std * 100).toFixed(1)}`;

function runProtocol(
  set: FeatureSet,
  seeds: number[],
): { uar: { mean: number; std: number }; wa: { mean: number; std: number }; perFold: number[]; trainSeconds: number } {
  const uars: number[] = [];
  const was: number[] = [];
  const perFold: number[] = [];
  let trainSeconds = 0;
  for (const fold of EMODB_FOLDS) {
    const { train, test } = splitBySpeakers(set, fold);
    const result = evaluateDownstream(train, test, { seeds });
    result.runs.forEach((run) => {
      uars.push(run.uar);
      was.push(run.wa);
      trainSeconds += run.trainSeconds;
    });
    perFold.push(result.uar.mean);
    process.stderr.write(`  fold ${fold.join('+')}: UAR ${(result.uar.mean * 100).toFixed(1)}\n`);
  }
  return { uar: meanAndStd(uars), wa: meanAndStd(was), perFold, trainSeconds };
}

const backend = await selectBackend(args.backend as 'auto');
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
console.log(
  `EmoDB real-data baseline · backend ${backend} · ${cpus().length} cores · ${EMODB_FOLDS.length} speaker-independent folds × ${seeds.length} seeds`,
);

const listing = await listEmodb(args.emodb, '7class');
const cpuBefore = process.cpuUsage();
const { set: sevenClass, stats } = await extractFeatureSet(listing);
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  `feature extraction: ${stats.utterances} utterances, ${stats.audioSeconds.toFixed(0)} s of audio in ${stats.extractionSeconds.toFixed(1)} s wall / ${cpuSeconds.toFixed(1)} s CPU ` +
    `→ ${(stats.audioSeconds / cpuSeconds).toFixed(0)} s of audio per CPU second (${sevenClass.dimension} dims, ${sevenClass.spec.name} v${sevenClass.spec.version})`,
);

const tasks = [
  { task: '7class', set: sevenClass },
  { task: '4class', set: restrictClasses(sevenClass, ['anger', 'happiness', 'neutral', 'sadness']) },
];
const results = tasks.map(({ task, set }) => {
  process.stderr.write(`${task} (${set.ids.length} utterances):\n`);
  return { task, utterances: set.ids.length, ...runProtocol(set, seeds) };
});

console.log('');
console.log('task    utterances  UAR %        WA %         classifier train s (total)');
for (const r of results)
  console.log(
    `${r.task.padEnd(8)}${String(r.utterances).padStart(10)}  ${pct(r.uar).padEnd(12)} ${pct(r.wa).padEnd(12)} ${r.trainSeconds.toFixed(1)}`,
  );
console.log(`classifier: MLP ${JSON.stringify(resolveClassifierConfig())}`);
console.log(
  'anchor: eGeMAPS/ComParE + SVM ≈ 80 UAR (7-class, speaker-independent); targets here ≥ 65 (7-class), ≥ 75 (4-class)',
);

if (args.json) {
  await writeFile(
    args.json,
    `${JSON.stringify({ backend, seeds, extraction: { ...stats, cpuSeconds }, results }, null, 2)}\n`,
  );
  console.log(`wrote ${args.json}`);
}
