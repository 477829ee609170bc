/**
 * `npm run bench:audit`: the privacy audit on EmoDB (4-class) side by side for a real random
 * subset at IPC 50 (the reference point), a leaky control that emits member records plus 1 % noise
 * (must fail), and the distillation generator of each method (default: default,select) sampled at
 * IPC 50 the way its bundle samples (`select`: oversample-and-select in a labeler derived from the
 * generator), so what a method changes in a release is audited beside the default; and a loss
 * attack on that labeler. Methods that train their generator alike share it.
 * Members: every speaker but the audit holdout (03, 08, 09, 10: two female, two male).
 * Options: --emodb <wav dir>, --steps N (distillation, default 2000), --methods default,select,
 * --out <dir> for the reports.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createGeneratorBundle,
  applyLabeler,
  createRng,
  distill,
  extractFeatureSet,
  listEmodb,
  disposeGenerator,
  loadGenerator,
  labelIndices,
  labelerOf,
  methodPreset,
  resolveDistillConfig,
  sampleFeatureSet,
  selectBackend,
  selectCoreset,
  splitBySpeakers,
  type DistillMethod,
  type FeatureSet,
  type GeneratorForSampling,
} from '@emodistill/core';
import { renderAuditHtml, rocAuc, rocCurve, runAudit, type AuditReport } from '@emodistill/privacy-audit';

const { values: args } = parseArgs({
  options: {
    emodb: { type: 'string', default: fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url)) },
    steps: { type: 'string', default: '2000' },
    methods: { type: 'string', default: 'default,select' },
    out: { type: 'string', default: 'bench-audit' },
  },
});
const HOLDOUT = ['03', '08', '09', '10'];

const backend = await selectBackend('auto');
const { set } = await extractFeatureSet(await listEmodb(args.emodb, '4class'));
const { train: members, test: holdout } = splitBySpeakers(set, HOLDOUT);
console.log(
  `EmoDB 4-class · backend ${backend} · members ${new Set(members.speakers).size} speakers (${members.ids.length} utt.) · audit holdout ${HOLDOUT.join(', ')} (${holdout.ids.length} utt.)`,
);

/** Member records plus Gaussian noise of 1 % of each dimension's spread: a generator that copies. */
function leakyControl(real: FeatureSet): FeatureSet {
  const rng = createRng(7);
  const spread = new Float64Array(real.dimension);
  for (let i = 0; i < real.features.length; i++)
    spread[i % real.dimension]! += Math.abs(real.features[i]!) / (real.features.length / real.dimension);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return {
    ...real,
    features: Float32Array.from(real.features, (v, i) => v + 0.01 * spread[i % real.dimension]! * normal()),
  };
}

const started = performance.now();
const subjects: [string, FeatureSet][] = [
  ['real subset IPC 50', selectCoreset(members, 'random', 50, 0)],
  ['leaky control', leakyControl(members)],
];
// Methods whose generators train alike (they differ in the labeler or in sampling) share one distillation.
const generators = new Map<string, GeneratorForSampling>();
for (const method of args.methods.split(',') as DistillMethod[]) {
  const preset = methodPreset(method, { steps: Number(args.steps) });
  const key = JSON.stringify({ ...resolveDistillConfig(preset.distill), labelerHiddenUnits: [] });
  let generator = generators.get(key);
  if (!generator) {
    const result = await distill(members, preset.distill);
    console.log(`distillation (${method}): ${result.steps} steps in ${result.seconds.toFixed(0)} s`);
    generator = loadGenerator(createGeneratorBundle(result, members, backend), 'bench');
    generators.set(key, generator);
  }
  subjects.push([
    `distillation ${method} IPC 50`,
    sampleFeatureSet(
      generator,
      { ipc: 50, prior: 'balanced', seed: 1, selection: 'herding', temperature: 1, ...preset.sampling },
      `distillation generator (${method})`,
    ),
  ]);
}
// The labeler selection uses (derived from the generator when the bundle has none): a loss attack on it.
const labelerAttack = [...generators.values()].map((generator) => {
  const trueClassProbability = (set: FeatureSet): number[] => {
    const standardised = set.features.map(
      (v, i) => (v - generator.standardiser.mean[i % set.dimension]!) / generator.standardiser.std[i % set.dimension]!,
    );
    const { probabilities } = applyLabeler(labelerOf(generator), standardised, set.dimension);
    const labels = labelIndices(set);
    return Array.from(labels, (label, row) => probabilities[row * set.classNames.length + label]!);
  };
  const scores = [...trueClassProbability(members), ...trueClassProbability(holdout)];
  const labels = scores.map((_, i): 0 | 1 => (i < members.ids.length ? 1 : 0));
  return rocAuc(rocCurve(scores, labels));
});
for (const generator of generators.values()) disposeGenerator(generator);
await mkdir(args.out, { recursive: true });
const reports: AuditReport[] = [];
for (const [name, subject] of subjects) {
  const report = runAudit(subject, members, holdout, { subject: name });
  reports.push(report);
  const file = join(args.out, name.replace(/\W+/g, '-'));
  await writeFile(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${file}.html`, renderAuditHtml(report));
}

const f = (v: number): string => v.toFixed(3);
const ci = (e: { value: number; low: number; high: number }): string => `${f(e.value)} [${f(e.low)}, ${f(e.high)}]`;
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const metrics: [string, (r: AuditReport) => string][] = [
  ['membership AUC, nearest neighbour (utterance)', (r) => ci(r.membership.nearestNeighbour.utteranceAuc)],
  ['membership AUC, reference ratio (utterance)', (r) => ci(r.membership.referenceRatio.utteranceAuc)],
  ['membership AUC, nearest neighbour (speaker)', (r) => ci(r.membership.nearestNeighbour.speakerAuc)],
  ['membership AUC, reference ratio (speaker)', (r) => ci(r.membership.referenceRatio.speakerAuc)],
  [
    'TPR @ 1 % / 10 % FPR (reference ratio)',
    (r) => `${pct(r.membership.referenceRatio.tprAtFpr1)} / ${pct(r.membership.referenceRatio.tprAtFpr10)}`,
  ],
  [
    'memorised share (DCR < holdout p5) / baseline',
    (r) => `${pct(r.memorisation.syntheticShareBelowHoldoutP5)} / ${pct(r.memorisation.holdoutShareBelowP5)}`,
  ],
  [
    'median NNDR synthetic / holdout',
    (r) => `${f(r.memorisation.syntheticNndrMedian)} / ${f(r.memorisation.holdoutNndrMedian)}`,
  ],
  [
    'speaker probe confidence synthetic / real',
    (r) => `${pct(r.speakerInformation.probe.syntheticConfidence)} / ${pct(r.speakerInformation.probe.realConfidence)}`,
  ],
  [
    'speaker ID from SER hidden layer: synthetic-trained / real-trained',
    (r) =>
      `${pct(r.speakerInformation.representations.syntheticTrainedAccuracy)} / ${pct(r.speakerInformation.representations.realTrainedAccuracy)}`,
  ],
  ['utility: UAR on holdout speakers', (r) => pct(r.utility.uar.mean)],
  ['gate', (r) => (r.gate.passed ? 'PASS' : 'FAIL')],
];
const header = ['metric', ...subjects.map(([name]) => name)];
const rows = metrics.map(([name, value]) => [name, ...reports.map(value)]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows])
  console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(
  `the sampling labeler (derived from the generator unless the bundle has one), loss attack (true-class probability, members vs holdout): utterance AUC ${labelerAttack.map(f).join(' / ')}`,
);
console.log(
  `chance for the speaker probe: ${pct(reports[0]!.speakerInformation.probe.chance)} · reports in ${args.out}/ · ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
