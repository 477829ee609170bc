/** The demo's one-page report: utility beside privacy, self-contained (inline CSS and SVG, no script). */
import type { Verdict } from '@emodistill/core';

export interface DemoUtilityRow {
  readonly label: string;
  readonly uar: { readonly mean: number; readonly std: number };
  readonly wa: { readonly mean: number; readonly std: number };
  readonly rows: number;
  readonly bytes: number;
}

export interface DemoSiteAudit {
  readonly siteId: string;
  readonly trainingSpeakers: readonly string[];
  readonly holdoutSpeakers: readonly string[];
  readonly verdict: Verdict;
  /** The verdict's reason, with how many speakers a pass needs when it is inconclusive. */
  readonly reason: string;
  readonly membershipAucUpper: number;
  /** The highest power limit over the attacks: what chance alone reaches with this holdout. */
  readonly powerLimit: number;
  readonly memorisedShare: number;
  readonly memorisedBaseline: number;
  readonly probeConfidenceSynthetic: number;
  readonly probeConfidenceReal: number;
  readonly utilityUar: number;
  /** Relative path of the site's full audit page. */
  readonly reportHtml: string;
}

export interface DemoReport {
  readonly kind: 'emodistill-demo';
  readonly version: 3;
  readonly createdAt: string;
  readonly backend: string;
  readonly corpus: {
    readonly utterances: number;
    readonly speakers: number;
    readonly classNames: readonly string[];
    readonly testSpeakers: readonly string[];
  };
  readonly federation: {
    readonly sites: number;
    readonly rounds: number;
    readonly localSteps: number;
    readonly strategy: string;
    readonly seconds: number;
    readonly weightsSha256: string;
    readonly bundle: string;
    readonly released: boolean;
    readonly releaseRefusal?: string;
  };
  readonly utility: readonly DemoUtilityRow[];
  readonly audits: readonly DemoSiteAudit[];
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const percent = (value: number): string => `${(100 * value).toFixed(1)} %`;

/** Horizontal bars of UAR with ± std whiskers, one per training set. */
function utilityChart(rows: readonly DemoUtilityRow[]): string {
  const width = 640;
  const left = 260;
  const barHeight = 26;
  const height = 40 + rows.length * (barHeight + 12);
  const x = (value: number): number => left + value * (width - left - 20);
  const bars = rows
    .map((row, i) => {
      const y = 30 + i * (barHeight + 12);
      return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="13">${escape(row.label)}</text>
<rect x="${left}" y="${y}" width="${x(row.uar.mean) - left}" height="${barHeight}" fill="${i === 0 ? '#2a6fdb' : '#9db7e0'}"/>
<line x1="${x(Math.max(0, row.uar.mean - row.uar.std))}" x2="${x(Math.min(1, row.uar.mean + row.uar.std))}" y1="${y + barHeight / 2}" y2="${y + barHeight / 2}" stroke="#222"/>
<text x="${x(row.uar.mean) + 4}" y="${y - 3}" font-size="11">${percent(row.uar.mean)}</text>`;
    })
    .join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<line x1="${x(t)}" x2="${x(t)}" y1="22" y2="${height - 8}" stroke="#ddd"/><text x="${x(t)}" y="16" font-size="11" text-anchor="middle">${t * 100}</text>`,
    )
    .join('');
  return `<svg class="plot" id="utility-chart" role="img" aria-label="UAR per training set" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${ticks}${bars}</svg>`;
}

export function renderDemoHtml(report: DemoReport): string {
  const cells = (values: readonly string[]): string =>
    `<tr>${values.map((v) => `<td>${escape(v)}</td>`).join('')}</tr>`;
  const { federation } = report;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>emodistill demo report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.pass{color:#0a5d1e;font-weight:bold}.fail{color:#8a1c0c;font-weight:bold}.inconclusive{color:#6b4e00;font-weight:bold}.plot{border:1px solid #eee}
</style></head><body>
<h1>emodistill demo</h1>
<p>${report.corpus.utterances} utterances of ${report.corpus.speakers} synthetic speakers, emotions ${escape(report.corpus.classNames.join(', '))}. Held out for evaluation: speakers ${escape(report.corpus.testSpeakers.join(', '))}. Backend ${escape(report.backend)} · ${escape(report.createdAt)}</p>
<h2>Federation</h2>
<p>${federation.sites} sites (real processes) · ${federation.rounds} rounds × ${federation.localSteps} local generator steps · ${escape(federation.strategy)} · ${federation.seconds.toFixed(0)} s. Global generator <code>${escape(federation.bundle)}</code>, signed by the coordinator, weights sha256 <code>${escape(federation.weightsSha256.slice(0, 16))}…</code>.</p>
<p id="release" class="${federation.released ? 'pass' : 'fail'}">${federation.released ? 'Released: every site attested a passing privacy audit.' : `Not releasable: ${escape(federation.releaseRefusal ?? 'the release gate refused')}`}</p>
<h2>Utility: emotion classifier on the held-out speakers</h2>
${utilityChart(report.utility)}
<table id="utility"><tr><th>training set</th><th>UAR</th><th>WA</th><th>rows</th><th>bytes</th></tr>
${report.utility.map((r) => cells([r.label, `${percent(r.uar.mean)} ± ${(100 * r.uar.std).toFixed(1)}`, `${percent(r.wa.mean)} ± ${(100 * r.wa.std).toFixed(1)}`, String(r.rows), `${(r.bytes / 1024).toFixed(1)} KiB`])).join('\n')}
</table>
<h2>Privacy: each site's audit of the global generator</h2>
<p>Each site audits on its own data: its training speakers are members, its audit-holdout speakers never reached the generator. Only these figures and a signed attestation leave the site.</p>
<table id="audits"><tr><th>site</th><th>members / holdout speakers</th><th>membership AUC (upper 95 % bound)</th><th>power limit</th><th>copied share (baseline)</th><th>speaker-probe confidence synthetic / real</th><th>utility UAR (holdout)</th><th>verdict</th><th>full report</th></tr>
${report.audits
  .map(
    (a) =>
      `<tr><td>${escape(a.siteId)}</td><td>${escape(a.trainingSpeakers.join(','))} / ${escape(a.holdoutSpeakers.join(','))}</td><td>${a.membershipAucUpper.toFixed(2)}</td><td>${a.powerLimit.toFixed(2)}</td><td>${percent(a.memorisedShare)} (${percent(a.memorisedBaseline)})</td><td>${percent(a.probeConfidenceSynthetic)} / ${percent(a.probeConfidenceReal)}</td><td>${percent(a.utilityUar)}</td><td class="${a.verdict}">${a.verdict.toUpperCase()}</td><td><a href="${escape(a.reportHtml)}">audit page</a></td></tr>`,
  )
  .join('\n')}
</table>
<ul id="verdicts">${report.audits.map((a) => `<li><b>${escape(a.siteId)}</b>: <span class="${a.verdict}">${a.verdict.toUpperCase()}</span>. ${escape(a.reason)}</li>`).join('')}</ul>
<p>Verdicts by rule (τ = membership AUC 0.60): FAIL when an attack's lower bound is above τ or records are memorised; PASS when every upper bound is within τ; INCONCLUSIVE when neither and the power limit — what chance alone reaches over random reassignments of these speakers — is above τ: with one holdout speaker per site no generator could pass, and the reason says how many speakers would.</p>
</body></html>
`;
}
