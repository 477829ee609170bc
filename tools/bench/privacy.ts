/**
 * `npm run bench:privacy`: the privacy–utility frontier of the distillation generator, on EmoDB
 * 4-class or any imported corpus (`--features`). For no mechanism, speaker invariance at several
 * weights ζ (`--invariance`), DP-SGD at several ε (`--epsilons`, δ = 1e-5; σ from the accountant
 * for this corpus's sampling rate and critic steps) and DP's training without its noise (the cost of
 * turning off the terms that read real rows outside the critic; with any ε), each over `--seeds` generator
 * seeds on one seeded speaker split: UAR on the holdout speakers, the membership attacks' AUC with
 * interval and power limit, the verdict under the default policy, the speaker probe's confidence
 * on synthetic samples, and ε per utterance and per speaker. The leaky control, the real subset and
 * the null control (trained on speakers that are neither members nor holdout) are audited beside
 * them. Paired per-seed differences against no mechanism; a table, bench-privacy.json with every
 * per-seed figure, and index.html with the frontier plot.
 * Options: --emodb <wav dir> | --features <file.arrow>, --holdout-speakers N, --null-speakers N,
 * --split-seed S, --steps N (default 2000), --seeds 0,1,2, --invariance 0.1,0.3,1, --epsilons 8,3,1,
 * --dp-clip C (default 1), --dp-feature-clip C (each ε also with private L_FM), --only "name,name" (a subset of the settings, e.g. to share the runs
 * between processes), --no-references, --out <dir>.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  disposeGenerator,
  meanAndStd,
  methodPreset,
  pairedDifference,
  selectBackend,
  selectCoreset,
  type DistillOptions,
  withDifferentialPrivacy,
  type FeatureSet,
} from '@emodistill/core';
import { pathChart, renderAuditHtml, runAudit, type AuditReport } from '@emodistill/privacy-audit';
import { CORPUS_OPTIONS, leakyControl, loadAndDeal, sampleAt50, trainGenerator } from './audit-subjects.js';

const { values: args } = parseArgs({
  options: {
    ...CORPUS_OPTIONS,
    seeds: { type: 'string', default: '0,1,2' },
    invariance: { type: 'string', default: '0.1,0.3,1' },
    epsilons: { type: 'string', default: '8,3,1' },
    'dp-clip': { type: 'string', default: '1' },
    /** Also each ε with L_FM kept inside the boundary (private class means, features clipped to this norm). */
    'dp-feature-clip': { type: 'string' },
    /** Run only these settings (comma-separated names, e.g. "DP ε=8"); the references too unless --no-references. */
    only: { type: 'string' },
    'no-references': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-privacy' },
  },
});
const list = (text: string): number[] => text.split(',').filter(Boolean).map(Number);

const backend = await selectBackend('auto');
const { members, holdout, nullTrain, holdoutSpeakers, nullSpeakers, corpusName } = await loadAndDeal(args);
console.log(
  `${corpusName} · backend ${backend} · members ${new Set(members.speakers).size} speakers (${members.ids.length} utt.) · holdout ${holdoutSpeakers.length} speakers (${holdout.ids.length} utt.) · null control ${nullSpeakers.length} speakers`,
);

const base = methodPreset('default', { steps: Number(args.steps) }).distill;
/** DP-SGD's setting without its noise: the terms that read real rows outside the critic off, Poisson batches. */
const privateTerms: DistillOptions = {
  ...withDifferentialPrivacy(base, { noiseMultiplier: 0 }, members.ids.length).options,
  dpClipNorm: 0,
};
interface Setting {
  readonly name: string;
  readonly family: 'none' | 'invariance' | 'dp';
  readonly options: DistillOptions;
}
const settings: Setting[] = [
  { name: 'no mechanism', family: 'none', options: base },
  ...list(args.invariance).map((zeta): Setting => ({
    name: `invariance ζ=${zeta}`,
    family: 'invariance',
    options: { ...base, speakerInvarianceWeight: zeta },
  })),
  ...(list(args.epsilons).length > 0
    ? [{ name: 'DP without noise', family: 'dp' as const, options: privateTerms }]
    : []),
  ...list(args.epsilons).flatMap((epsilon): Setting[] =>
    [undefined, ...(args['dp-feature-clip'] ? [Number(args['dp-feature-clip'])] : [])].map((featureClipNorm) => ({
      name: `DP ε=${epsilon}${featureClipNorm ? ' private L_FM' : ''}`,
      family: 'dp',
      options: withDifferentialPrivacy(
        base,
        { epsilon, delta: 1e-5, clipNorm: Number(args['dp-clip']), ...(featureClipNorm && { featureClipNorm }) },
        members.ids.length,
      ).options,
    })),
  ),
];

const wanted = args.only?.split(',').map((name) => name.trim());
const unknown = wanted?.filter((name) => !settings.some((setting) => setting.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `--only: no setting named ${unknown.map((name) => `"${name}"`).join(', ')}; with these options the settings are ${settings.map((s) => `"${s.name}"`).join(', ')}`,
  );
  process.exit(2);
}
const chosen = wanted ? settings.filter((setting) => wanted.includes(setting.name)) : settings;
await mkdir(args.out, { recursive: true });
const started = performance.now();
const audit = async (name: string, subject: FeatureSet): Promise<AuditReport> => {
  const report = runAudit(subject, members, holdout, { subject: name });
  await writeFile(join(args.out, `${name.replace(/\W+/g, '-')}.html`), renderAuditHtml(report));
  return report;
};
/** What the table and the JSON keep of one audit. */
const figuresOf = (report: AuditReport) => ({
  verdict: report.verdict.verdict,
  reason: report.verdict.reason,
  uar: report.utility.uar.mean,
  attacks: report.verdict.figures.attacks,
  copiedShare: report.memorisation.syntheticCopyShare,
  probeConfidence: report.speakerInformation.probe.syntheticConfidence,
  probeChance: report.speakerInformation.probe.chance,
});
type Figures = ReturnType<typeof figuresOf>;

const references: { name: string; figures: Figures }[] = [];
if (!args['no-references']) {
  for (const [name, subject] of [
    ['real subset IPC 50', selectCoreset(members, 'random', 50, 0)],
    ['leaky control', leakyControl(members)],
  ] as const)
    references.push({ name, figures: figuresOf(await audit(name, subject)) });
  const nullGenerator = await trainGenerator(nullTrain, base, backend, 'null control');
  references.push({
    name: 'null control IPC 50',
    figures: figuresOf(await audit('null control IPC 50', sampleAt50(nullGenerator, 'default', 'null control'))),
  });
  disposeGenerator(nullGenerator);
}

const seeds = list(args.seeds);
const runs: { setting: string; seed: number; figures: Figures; noiseMultiplier: number; privacy?: unknown }[] = [];
for (const setting of chosen)
  for (const seed of seeds) {
    const label = `${setting.name} seed ${seed}`;
    const generator = await trainGenerator(members, { ...setting.options, seed }, backend, label);
    const report = await audit(label, sampleAt50(generator, 'default', label));
    runs.push({
      setting: setting.name,
      seed,
      figures: figuresOf(report),
      noiseMultiplier: setting.options.dpNoiseMultiplier ?? 0,
      ...(generator.privacy && { privacy: generator.privacy }),
    });
    disposeGenerator(generator);
  }

const f2 = (v: number): string => v.toFixed(2);
const pct = (v: number): string => (100 * v).toFixed(1);
const strongest = (figures: Figures) => figures.attacks.reduce((a, b) => (b.auc > a.auc ? b : a));
const runsOf = (setting: string) => runs.filter((run) => run.setting === setting);
const baseline = runsOf('no mechanism');
const rows = chosen.map((setting) => {
  const mine = runsOf(setting.name);
  const uar = meanAndStd(mine.map((r) => r.figures.uar));
  const auc = meanAndStd(mine.map((r) => strongest(r.figures).auc));
  const privacy = mine[0]?.privacy as { epsilonUtterance: number; epsilonSpeaker: number } | undefined;
  return {
    setting: setting.name,
    family: setting.family,
    noiseMultiplier: mine[0]!.noiseMultiplier,
    epsilonUtterance: privacy?.epsilonUtterance ?? null,
    epsilonSpeaker: privacy?.epsilonSpeaker ?? null,
    uar,
    strongestAuc: auc,
    verdicts: mine.map((r) => r.figures.verdict),
    probeConfidence: meanAndStd(mine.map((r) => r.figures.probeConfidence)).mean,
    // Without the baseline in this run (--only), the differences are left to whoever joins the JSONs.
    uarMinusNone:
      baseline.length === mine.length
        ? pairedDifference(
            mine.map((r) => r.figures.uar),
            baseline.map((r) => r.figures.uar),
          )
        : null,
    aucMinusNone:
      baseline.length === mine.length
        ? pairedDifference(
            mine.map((r) => strongest(r.figures).auc),
            baseline.map((r) => strongest(r.figures).auc),
          )
        : null,
  };
});

const header = [
  'setting',
  'σ',
  'ε utt. / speaker',
  'UAR %',
  'Δ UAR vs none',
  'strongest AUC',
  'Δ AUC vs none',
  'verdicts',
  'probe conf. %',
];
const table = rows.map((r) => [
  r.setting,
  f2(r.noiseMultiplier),
  r.epsilonUtterance === null ? '—' : `${r.epsilonUtterance.toFixed(1)} / ${r.epsilonSpeaker!.toFixed(0)}`,
  `${pct(r.uar.mean)} ± ${pct(r.uar.std)}`,
  r.uarMinusNone
    ? `${pct(r.uarMinusNone.mean)} [${pct(r.uarMinusNone.interval[0])}, ${pct(r.uarMinusNone.interval[1])}]`
    : '—',
  `${f2(r.strongestAuc.mean)} ± ${f2(r.strongestAuc.std)}`,
  r.aucMinusNone
    ? `${f2(r.aucMinusNone.mean)} [${f2(r.aucMinusNone.interval[0])}, ${f2(r.aucMinusNone.interval[1])}]`
    : '—',
  r.verdicts.map((v) => v.toUpperCase().slice(0, 4)).join(' '),
  pct(r.probeConfidence),
]);
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
for (const row of [header, widths.map((w) => '-'.repeat(w)), ...table])
  console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
for (const { name, figures } of references)
  console.log(
    `${name}: ${figures.verdict.toUpperCase()} · strongest AUC ${f2(strongest(figures).auc)} [${f2(strongest(figures).low)}, ${f2(strongest(figures).high)}], power limit ${f2(strongest(figures).powerLimit)} · UAR ${pct(figures.uar)} % · ${figures.reason}`,
  );
console.log(
  `chance for the speaker probe: ${pct(runs[0]!.figures.probeChance)} % · ${((performance.now() - started) / 1000).toFixed(0)} s · ${args.out}/`,
);

const frontier = (['invariance', 'dp'] as const).map((family) => ({
  label: family === 'dp' ? 'DP-SGD (ε)' : 'speaker invariance (ζ)',
  points: rows
    .filter((r) => r.family === family || r.family === 'none')
    .map((r) => ({ x: r.strongestAuc.mean, y: 100 * r.uar.mean })),
}));
const aucs = rows.map((r) => r.strongestAuc.mean);
const aucRange: [number, number] = [
  Math.floor((Math.min(0.5, ...aucs) - 0.05) * 20) / 20,
  Math.ceil((Math.max(0.6, ...aucs) + 0.05) * 20) / 20,
];
await writeFile(
  join(args.out, 'index.html'),
  `<!doctype html><meta charset="utf-8"><title>emodistill privacy–utility frontier</title>
<h1>Privacy–utility frontier</h1><p>${corpusName}: ${new Set(members.speakers).size} member and ${holdoutSpeakers.length} holdout speakers, ${seeds.length} generator seeds; each point a setting's mean, starting from no mechanism. τ = 0.60.</p>
${pathChart('UAR against the strongest membership attack', 'membership AUC (strongest attack)', 'UAR on holdout speakers, %', frontier, { x: aucRange, y: [0, 100] })}
<pre>${[header, ...table].map((row) => row.join(' | ')).join('\n')}</pre>
<ul>${settings.flatMap((s) => seeds.map((seed) => `<li><a href="${`${s.name} seed ${seed}`.replace(/\W+/g, '-')}.html">${s.name}, seed ${seed}</a></li>`)).join('')}</ul>`,
);
await writeFile(
  join(args.out, 'bench-privacy.json'),
  `${JSON.stringify({ corpus: corpusName, holdoutSpeakers, nullSpeakers, memberSpeakers: [...new Set(members.speakers)], seeds, references, rows, runs }, null, 2)}\n`,
);
