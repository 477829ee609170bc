import { speakersNeededSentence, type AuditReport } from '../audit.js';
import { escapeHtml, histogram, lineChart, scatter } from './svg.js';

const percent = (v: number): string => `${(v * 100).toFixed(1)} %`;
const ci = (e: { value: number; low: number; high: number }): string =>
  `${e.value.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;

/** A self-contained HTML page (inline CSS and SVG, no script, no network) a privacy officer reads offline. */
export function renderAuditHtml(report: AuditReport): string {
  const { membership, memorisation, speakerInformation, verdict, utility } = report;
  const tau = verdict.policy.maxMembershipAuc;
  const attacks = [
    ['nearest neighbour', membership.nearestNeighbour],
    ['reference ratio', membership.referenceRatio],
  ] as const;
  const rows = (cells: readonly (readonly string[])[]): string =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  const real = report.embedding.filter((p) => p.set !== 'synthetic');
  const synthetic = report.embedding.filter((p) => p.set === 'synthetic');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>emodistill privacy audit — ${escapeHtml(report.subject)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
.verdict{font-size:1.6em;font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:6px}
.pass{background:#d7f5dd;color:#0a5d1e}.fail{background:#fde0dc;color:#8a1c0c}.inconclusive{background:#fff1c7;color:#6b4e00}
#why{font-size:1.1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plot{border:1px solid #eee}
li{margin:.3em 0}
</style></head><body>
<h1>Privacy audit</h1>
<p>Subject: <code>${escapeHtml(report.subject)}</code> · ${escapeHtml(report.createdAt)} · report schema v${report.version}</p>
<p class="verdict ${verdict.verdict}" id="verdict">${verdict.verdict.toUpperCase()}</p>
<p id="why">${escapeHtml(verdict.reason + speakersNeededSentence(verdict))}</p>
<table id="gate"><tr><th>check</th><th>value</th><th>rule (τ = ${tau.toFixed(2)})</th><th>power limit</th><th>result</th></tr>
${rows([
  ...verdict.figures.attacks.map((a, k) => [
    `membership: ${a.name}`,
    `${a.auc.toFixed(3)} [${a.low.toFixed(3)}, ${a.high.toFixed(3)}]`,
    `pass if upper ≤ τ; fail if lower > τ`,
    a.powerLimit.toFixed(3),
    verdict.attacks[k]!.verdict,
  ]),
  [
    'memorisation',
    `${percent(verdict.figures.memorisedShare)} [${percent(verdict.memorisedInterval[0])}, ${percent(verdict.memorisedInterval[1])}] of ${verdict.figures.syntheticSamples}`,
    `fail if lower > ${percent(verdict.figures.memorisedBaseline + verdict.policy.maxMemorisationExcess)} (baseline + ${percent(verdict.policy.maxMemorisationExcess)})`,
    '',
    verdict.memorisationPassed ? 'pass' : 'fail',
  ],
])}
</table>
<p>The power limit is the 97.5th percentile of the attack's AUC over ${verdict.policy.permutations} random reassignments of these speakers into member and holdout groups of the same sizes: what chance alone reaches with this holdout. Where it lies above τ no generator could be shown to pass, and the verdict is inconclusive rather than pass or fail.</p>
<h2>In plain words</h2><ul>${report.summary.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<h2>Membership inference</h2>
<p>${report.counts.memberSpeakers} member speakers (${report.counts.memberUtterances} utterances) against ${report.counts.holdoutSpeakers} holdout speakers (${report.counts.holdoutUtterances} utterances), ${report.counts.synthetic} synthetic samples.</p>
<table id="membership"><tr><th>attack</th><th>utterance AUC [95 % CI]</th><th>speaker AUC [95 % CI]</th><th>TPR @ 1 % FPR</th><th>TPR @ 10 % FPR</th></tr>
${rows(attacks.map(([name, a]) => [name, ci(a.utteranceAuc), ci(a.speakerAuc), percent(a.tprAtFpr1), percent(a.tprAtFpr10)]))}
</table>
<div class="plots">
${lineChart(
  'Membership attacks: ROC',
  'false-positive rate',
  'true-positive rate',
  attacks.map(([name, a]) => ({ label: name, points: a.roc.map((p) => ({ x: p.fpr, y: p.tpr })) })),
)}
${histogram(
  'Distance to closest member record',
  'DCR (standardised units)',
  [
    { label: 'synthetic', values: memorisation.syntheticDcr },
    { label: 'real holdout', values: memorisation.holdoutDcr },
  ],
  { x: memorisation.holdoutDcrP5, label: 'holdout 5th pct' },
)}
</div>
<h2>Memorisation</h2>
<table id="memorisation">${rows([
    [
      "synthetic samples that copy a member record (NNDR below the members' leave-one-out 5th percentile)",
      `${percent(memorisation.syntheticCopyShare)} (members' baseline ${percent(memorisation.memberCopyShare)})`,
    ],
    [
      'synthetic samples closer than the holdout 5th-percentile DCR',
      percent(memorisation.syntheticShareBelowHoldoutP5),
    ],
    ['holdout baseline', percent(memorisation.holdoutShareBelowP5)],
    [
      'median NNDR, synthetic / holdout',
      `${memorisation.syntheticNndrMedian.toFixed(3)} / ${memorisation.holdoutNndrMedian.toFixed(3)}`,
    ],
  ])}</table>
<h2>Speaker information</h2>
<table id="speaker">${rows([
    [
      'speaker-ID probe accuracy on real held-out utterances (attacker strength)',
      percent(speakerInformation.probe.probeAccuracy),
    ],
    [
      'probe confidence: synthetic / real',
      `${percent(speakerInformation.probe.syntheticConfidence)} / ${percent(speakerInformation.probe.realConfidence)} (chance ${percent(speakerInformation.probe.chance)})`,
    ],
    [
      'speaker ID from an emotion model\u2019s hidden layer: trained on synthetic / real',
      `${percent(speakerInformation.representations.syntheticTrainedAccuracy)} / ${percent(speakerInformation.representations.realTrainedAccuracy)}`,
    ],
  ])}</table>
<div class="plots">
${scatter('Real (dots) and synthetic (crosses) by speaker', [...real.map((p) => ({ x: p.x, y: p.y, category: p.speaker, synthetic: false })), ...synthetic.map((p) => ({ x: p.x, y: p.y, category: 'synthetic', synthetic: true }))])}
${scatter(
  'Real (dots) and synthetic (crosses) by emotion',
  report.embedding.map((p) => ({ x: p.x, y: p.y, category: p.emotion, synthetic: p.set === 'synthetic' })),
)}
</div>
<h2>Utility</h2>
<p id="utility">The synthetic set trains an emotion classifier to <b>${percent(utility.uar.mean)}</b> UAR (± ${percent(utility.uar.std)}) and ${percent(utility.wa.mean)} WA on the holdout speakers.</p>
</body></html>
`;
}
