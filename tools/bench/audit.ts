/**
 * `npm run bench:audit`: the privacy audit side by side, on EmoDB 4-class or any imported corpus
 * (`--features`), for: a real random subset of the members at IPC 50 (the reference point); a
 * leaky control that emits member records plus 1 % noise (must FAIL everywhere); a null control, a
 * generator trained only on speakers that are neither members nor holdout (must PASS wherever the
 * holdout gives the power); and the distillation generator of each method (default:
 * default,select) sampled at IPC 50 the way its bundle samples. Each subject gets its verdict by
 * rule with the power limit of each attack; a loss attack on the sampling labeler is printed
 * below. `--power-curve 2,5,10,20` also audits the first method's generator with the first k
 * holdout speakers: how the power limit falls with the holdout.
 * Speakers are dealt to the holdout, the null-control group and the members by a seeded shuffle
 * (`--split-seed`), so nothing depends on a corpus's speaker ids.
 * Options: --emodb <wav dir> | --features <file.arrow>, --holdout-speakers N (default 40 % of the
 * speakers), --null-speakers N (default 20 %), --split-seed S, --steps N (distillation, default
 * 2000), --methods default,select, --power-curve k,k,..., --out <dir> for the reports and a JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  applyLabeler,
  disposeGenerator,
  labelIndices,
  labelerOf,
  methodPreset,
  resolveDistillConfig,
  selectBackend,
  selectCoreset,
  selectRows,
  type DistillMethod,
  type FeatureSet,
  type GeneratorForSampling,
} from '@emodistill/core';
import {
  renderAuditHtml,
  rocAuc,
  rocCurve,
  runAudit,
  speakersNeededSentence,
  type AuditReport,
} from '@emodistill/privacy-audit';
import { CORPUS_OPTIONS, leakyControl, loadAndDeal, sampleAt50, trainGenerator } from './audit-subjects.js';

const { values: args } = parseArgs({
  options: {
    ...CORPUS_OPTIONS,
    methods: { type: 'string', default: 'default,select' },
    'power-curve': { type: 'string' },
    out: { type: 'string', default: 'bench-audit' },
  },
});

const backend = await selectBackend('auto');
const { members, holdout, nullTrain, holdoutSpeakers, nullSpeakers, corpusName } = await loadAndDeal(args);
const holdoutCount = holdoutSpeakers.length;
console.log(
  `${corpusName} · backend ${backend} · members ${new Set(members.speakers).size} speakers (${members.ids.length} utt.) · audit holdout ${holdoutCount} speakers (${holdout.ids.length} utt.): ${holdoutSpeakers.join(', ')} · null control trained on ${nullSpeakers.length} other speakers (${nullTrain.ids.length} utt.)`,
);

const started = performance.now();
const train = (rows: FeatureSet, method: DistillMethod, label: string): Promise<GeneratorForSampling> =>
  trainGenerator(rows, methodPreset(method, { steps: Number(args.steps) }).distill, backend, label);
const methods = args.methods.split(',') as DistillMethod[];
const nullGenerator = await train(nullTrain, methods[0]!, `null control, ${methods[0]}`);
const subjects: [string, FeatureSet][] = [
  ['real subset IPC 50', selectCoreset(members, 'random', 50, 0)],
  ['leaky control', leakyControl(members)],
  ['null control IPC 50', sampleAt50(nullGenerator, methods[0]!, 'null control')],
];
disposeGenerator(nullGenerator);
// Methods whose generators train alike (they differ in the labeler or in sampling) share one distillation.
const generators = new Map<string, GeneratorForSampling>();
for (const method of methods) {
  const key = JSON.stringify({ ...resolveDistillConfig(methodPreset(method).distill), labelerHiddenUnits: [] });
  let generator = generators.get(key);
  if (!generator) {
    generator = await train(members, method, method);
    generators.set(key, generator);
  }
  subjects.push([`distillation ${method} IPC 50`, sampleAt50(generator, method, `distillation generator (${method})`)]);
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
const audit = async (name: string, subject: FeatureSet, audited: FeatureSet): Promise<AuditReport> => {
  const report = runAudit(subject, members, audited, { subject: name });
  const file = join(args.out, name.replace(/\W+/g, '-'));
  await writeFile(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${file}.html`, renderAuditHtml(report));
  return report;
};
const reports: AuditReport[] = [];
for (const [name, subject] of subjects) reports.push(await audit(name, subject, holdout));
// The power curve: the first method's generator audited with the first k holdout speakers.
const powerCurve: { holdoutSpeakers: number; powerLimit: number; verdict: string; auc: number }[] = [];
for (const k of (args['power-curve'] ?? '').split(',').filter(Boolean).map(Number)) {
  if (k > holdoutCount) throw new Error(`--power-curve ${k}: only ${holdoutCount} holdout speakers`);
  const few = new Set(holdoutSpeakers.slice(0, k));
  const subset = selectRows(holdout, (row) => few.has(holdout.speakers[row]!));
  const report = await audit(`power curve ${k} holdout speakers`, subjects[3]![1], subset);
  const attacks = report.verdict.figures.attacks;
  powerCurve.push({
    holdoutSpeakers: k,
    powerLimit: Math.max(...attacks.map((a) => a.powerLimit)),
    verdict: report.verdict.verdict,
    auc: Math.max(...attacks.map((a) => a.auc)),
  });
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
    "copied share (NNDR < members' leave-one-out p5) / baseline",
    (r) => `${pct(r.memorisation.syntheticCopyShare)} / ${pct(r.memorisation.memberCopyShare)}`,
  ],
  [
    'share with DCR < holdout p5 / baseline',
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
  [
    'power limit, nearest neighbour / reference ratio',
    (r) => r.verdict.figures.attacks.map((a) => f(a.powerLimit)).join(' / '),
  ],
  ['verdict', (r) => r.verdict.verdict.toUpperCase()],
];
const header = ['metric', ...subjects.map(([name]) => name)];
const rows = metrics.map(([name, value]) => [name, ...reports.map(value)]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows])
  console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(
  `the sampling labeler (derived from the generator unless the bundle has one), loss attack (true-class probability, members vs holdout): utterance AUC ${labelerAttack.map(f).join(' / ')}`,
);
for (const [k, [name]] of subjects.entries())
  console.log(
    `${name}: ${reports[k]!.verdict.verdict.toUpperCase()}. ${reports[k]!.verdict.reason}${speakersNeededSentence(reports[k]!.verdict)}`,
  );
if (powerCurve.length) {
  console.log(
    `power curve (${subjects[3]![0]}, the first k holdout speakers against ${new Set(members.speakers).size} members):`,
  );
  for (const point of powerCurve)
    console.log(
      `  ${String(point.holdoutSpeakers).padStart(3)} holdout speakers: power limit ${f(point.powerLimit)}, AUC ${f(point.auc)}, ${point.verdict.toUpperCase()}`,
    );
}
console.log(
  `chance for the speaker probe: ${pct(reports[0]!.speakerInformation.probe.chance)} · reports in ${args.out}/ · ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
await writeFile(
  join(args.out, 'bench-audit.json'),
  `${JSON.stringify(
    {
      corpus: corpusName,
      holdoutSpeakers,
      nullSpeakers,
      memberSpeakers: [...new Set(members.speakers)],
      subjects: subjects.map(([name], k) => ({
        name,
        verdict: reports[k]!.verdict.verdict,
        reason: reports[k]!.verdict.reason,
        figures: reports[k]!.verdict.figures,
      })),
      labelerAttackAuc: labelerAttack,
      powerCurve,
    },
    null,
    2,
  )}\n`,
);
