// The dashboard page: renders each snapshot `emodistill dashboard` relays (server-sent events), never
// anything else. Text from the coordinator goes in as text nodes only (site ids and refusal messages may
// quote what a sender claimed), never as HTML.
(() => {
  'use strict';

  const SVG = 'http://www.w3.org/2000/svg';
  const COLOURS = ['#2f5fb3', '#d9822b', '#1f8a4c', '#8e44ad', '#c0392b', '#16a2b8', '#7f8c8d', '#b8860b'];
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const byId = (id) => document.getElementById(id);
  let snapshot;
  let lastSnapshotAt = 0;

  /** An element with attributes (`class`, `title`, …) and children (nodes or text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {}))
      if (value !== undefined) node.setAttribute(name, value);
    for (const child of children.flat())
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes ?? {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  const pill = (text, tone, title) => el('span', { class: `pill pill-${tone}`, title }, text);
  const empty = (text) => el('div', { class: 'empty' }, text);

  function table(headers, rows) {
    return el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((h) => el('th', { class: h.num ? 'num' : undefined }, h.label ?? h)),
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((cells) =>
          el(
            'tr',
            {},
            cells.map((cell, i) => {
              const header = headers[i];
              const wrap = header.wrap ? 'wrap' : header.num ? 'num' : undefined;
              return el('td', { class: wrap }, cell ?? '–');
            }),
          ),
        ),
      ),
    );
  }

  const pad = (n) => String(n).padStart(2, '0');
  function clock(iso) {
    if (!iso) return '–';
    const time = new Date(iso);
    if (Number.isNaN(time.getTime())) return '–';
    return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
  }
  function duration(ms) {
    if (!Number.isFinite(ms) || ms < 0) return '–';
    const seconds = Math.round(ms / 1000);
    if (seconds < 60) return `${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${pad(seconds % 60)} s`;
    return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
  }
  const ago = (iso, now) => (iso ? `${duration(now - Date.parse(iso))} ago` : '–');
  const fixed = (value, digits = 3) => (value === null || value === undefined ? '–' : Number(value).toFixed(digits));
  const short = (hex) => (hex ? `${hex.slice(0, 12)}…` : '–');

  const STATE_TONE = { open: 'info', closed: 'ok', failed: 'bad', aborted: 'warn' };
  const VERDICT_TONE = { pass: 'ok', fail: 'bad', inconclusive: 'warn' };
  const RELEASE = {
    'no-model': ['no global generator yet', 'wait'],
    untrained: ['only the statistics round has run', 'wait'],
    blocked: ['release blocked', 'bad'],
    granted: ['release granted', 'ok'],
  };

  /** Site ids in a stable order, each with its colour. */
  function siteColours(data) {
    const ids = [...new Set([...data.sites.sites.map((s) => s.siteId), ...data.rounds.flatMap((r) => r.participants)])];
    ids.sort();
    return new Map(ids.map((id, i) => [id, COLOURS[i % COLOURS.length]]));
  }

  function renderSummary(data, now) {
    const { status, release } = data;
    const round = status.round;
    const live = data.sites.sites.filter((s) => !s.revoked);
    const cards = [
      [
        'Round',
        round ? `${round.round} · ${round.state}` : 'none yet',
        round
          ? `${round.kind}; ${status.acceptedSites.length}/${round.participants.length} updates${round.state === 'open' ? `; running ${duration(now - Date.parse(round.openedAt))}` : ''}`
          : 'waiting for sites or for `round start`',
      ],
      [
        'Training rounds',
        `${status.trainingRoundsDone} / ${status.targetTrainingRounds}`,
        status.finished ? 'finished' : 'done / planned',
      ],
      [
        'Global version',
        status.latestVersion ? `v${status.latestVersion.version}` : '–',
        status.latestVersion ? `weights ${short(status.latestVersion.weightsSha256)}` : 'no version yet',
      ],
      [
        'Sites connected',
        `${status.connectedSites.length} / ${live.length}`,
        status.droppedSites.length ? `gone this round: ${status.droppedSites.join(', ')}` : 'allow-listed, not revoked',
      ],
      [
        'Release',
        RELEASE[release.state][0],
        release.version ? `global version ${release.version}` : 'nothing to release',
      ],
    ];
    byId('summary').replaceChildren(
      ...cards.map(([label, value, detail]) =>
        el(
          'div',
          { class: 'card' },
          el('div', { class: 'label' }, label),
          el('div', { class: 'value' }, value),
          el('div', { class: 'detail' }, detail),
        ),
      ),
    );
  }

  function renderRounds(data, now) {
    if (data.rounds.length === 0) return byId('rounds').replaceChildren(empty('No round yet.'));
    const headers = [
      'Round',
      'Kind',
      'State',
      'Opened',
      'Ended',
      { label: 'Duration', num: true },
      { label: 'Updates', num: true },
      'Version',
      { label: 'Mean pairwise cos', num: true },
      { label: '‖mean Δ‖', num: true },
      'Deadline',
    ];
    const rows = data.rounds.map((r) => [
      el('span', { 'data-round': r.round, 'data-state': r.state }, String(r.round)),
      r.kind,
      pill(r.state, STATE_TONE[r.state]),
      clock(r.openedAt),
      clock(r.endedAt),
      r.endedAt
        ? duration(Date.parse(r.endedAt) - Date.parse(r.openedAt))
        : r.state === 'open'
          ? `${duration(now - Date.parse(r.openedAt))} …`
          : '–',
      `${r.updates.length} / ${r.participants.length}`,
      r.version === null ? '–' : `v${r.version}`,
      r.drift ? fixed(r.drift.meanPairwiseCosine) : '–',
      r.drift ? fixed(r.drift.meanNorm, 4) : '–',
      r.state === 'open' ? clock(r.deadline) : '',
    ]);
    byId('rounds').replaceChildren(table(headers, rows));
  }

  /** About `count` round-numbered steps (1, 2, 2.5 or 5 × 10^k) covering [min, max]. */
  function niceTicks(low, high, count = 4) {
    // one value alone still gets an axis around it
    const [min, max] = low === high ? [low - 1, high + 1] : [low, high];
    const span = max - min;
    const magnitude = 10 ** Math.floor(Math.log10(span / count));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= span / count);
    const ticks = [];
    for (let v = Math.floor(min / step) * step; v <= Math.ceil(max / step) * step + step / 2; v += step)
      ticks.push(Number(v.toFixed(10)));
    return ticks;
  }

  /** A line chart of series over training rounds; `yRange` fixes the axis (else it fits the data). */
  function lineChart(series, { yRange, yLabel }) {
    const points = series.flatMap((s) => s.points);
    if (points.length === 0) return empty('Nothing measured yet: it appears once a training round closes.');
    const width = 640;
    const height = 220;
    const margin = { left: 48, right: 16, top: 12, bottom: 30 };
    const xs = points.map((p) => p.x);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const ys = points.map((p) => p.y);
    const ticks = niceTicks(...(yRange ?? [Math.min(...ys), Math.max(...ys)]));
    const [y0, y1] = [ticks[0], ticks[ticks.length - 1]];
    const x = (v) => margin.left + (x1 === x0 ? 0.5 : (v - x0) / (x1 - x0)) * (width - margin.left - margin.right);
    const y = (v) => margin.top + (1 - (v - y0) / (y1 - y0)) * (height - margin.top - margin.bottom);
    const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': yLabel });
    for (const value of ticks)
      chart.append(
        svg('line', { class: 'grid-line', x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value) }),
        svg('text', { x: margin.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, String(value)),
      );
    for (const round of [...new Set(xs)].sort((a, b) => a - b))
      chart.append(svg('text', { x: x(round), y: height - 10, 'text-anchor': 'middle' }, `r${round}`));
    chart.append(
      svg('line', { class: 'axis', x1: margin.left, x2: margin.left, y1: margin.top, y2: height - margin.bottom }),
      svg('line', {
        class: 'axis',
        x1: margin.left,
        x2: width - margin.right,
        y1: height - margin.bottom,
        y2: height - margin.bottom,
      }),
    );
    for (const s of series) {
      const sorted = [...s.points].sort((a, b) => a.x - b.x);
      if (sorted.length > 1)
        chart.append(
          svg('polyline', {
            points: sorted.map((p) => `${x(p.x)},${y(p.y)}`).join(' '),
            fill: 'none',
            stroke: s.colour,
            'stroke-width': 2,
            ...(s.dashed && { 'stroke-dasharray': '5 4' }),
          }),
        );
      for (const p of sorted)
        chart.append(
          svg(
            'circle',
            { cx: x(p.x), cy: y(p.y), r: 3.5, fill: s.colour },
            svg('title', {}, `${s.name} · round ${p.x}: ${p.y.toFixed(4)}`),
          ),
        );
    }
    const legend = el(
      'div',
      { class: 'legend' },
      series.map((s) =>
        el(
          'span',
          {},
          svg(
            'svg',
            { class: 'swatch', viewBox: '0 0 10 10', width: 10, height: 10 },
            svg('rect', { width: 10, height: 10, rx: 2, fill: s.colour }),
          ),
          s.name,
        ),
      ),
    );
    return el('div', {}, chart, legend);
  }

  function renderDrift(data, colours) {
    const measured = data.rounds.filter((r) => r.drift).reverse();
    const perSite = new Map();
    for (const r of measured)
      for (const s of r.drift.sites)
        if (s.cosineToMean !== null)
          perSite.set(s.siteId, [...(perSite.get(s.siteId) ?? []), { x: r.round, y: s.cosineToMean }]);
    const series = [...perSite].map(([siteId, points]) => ({
      name: siteId,
      colour: colours.get(siteId) ?? '#555',
      points,
    }));
    const pairwise = measured.filter((r) => r.drift.meanPairwiseCosine !== null);
    if (pairwise.length)
      series.push({
        name: 'mean pairwise',
        colour: '#1d2330',
        dashed: true,
        points: pairwise.map((r) => ({ x: r.round, y: r.drift.meanPairwiseCosine })),
      });
    byId('drift').replaceChildren(lineChart(series, { yRange: [-1, 1], yLabel: 'cosine with the mean update' }));
  }

  function renderLosses(data, colours) {
    const training = data.rounds.filter((r) => r.kind === 'training').reverse();
    const names = [...new Set(training.flatMap((r) => r.updates.flatMap((u) => Object.keys(u.metrics))))].filter(
      (name) => name !== 'localSteps',
    );
    if (names.length === 0) return byId('losses').replaceChildren(empty('No training update has arrived yet.'));
    byId('losses').replaceChildren(
      ...names.map((name) => {
        const perSite = new Map();
        for (const r of training)
          for (const u of r.updates)
            if (typeof u.metrics[name] === 'number')
              perSite.set(u.siteId, [...(perSite.get(u.siteId) ?? []), { x: r.round, y: u.metrics[name] }]);
        const series = [...perSite].map(([siteId, points]) => ({
          name: siteId,
          colour: colours.get(siteId) ?? '#555',
          points,
        }));
        return el('div', {}, el('div', { class: 'chart-title' }, name), lineChart(series, { yLabel: name }));
      }),
    );
  }

  function refusalChips(summary) {
    const reasons = Object.entries(summary.byReason);
    if (reasons.length === 0) return '–';
    return el(
      'span',
      { class: 'chips' },
      reasons.map(([reason, count]) => pill(`${reason} × ${count}`, 'bad')),
    );
  }

  function renderSites(data, now) {
    const { sites, unattributed } = data.sites;
    if (sites.length === 0) return byId('sites').replaceChildren(empty('No site on the allow-list.'));
    const headers = [
      'Site',
      'Session',
      'Connected since / last seen',
      { label: 'Updates accepted', num: true },
      'Last update',
      { label: 'Refused', num: true },
      'Refusals by reason',
      { label: 'Latest refusal', wrap: true },
    ];
    const latest = (summary) =>
      summary.recent[0]
        ? `${clock(summary.recent[0].time)}${summary.recent[0].round === null ? '' : ` (round ${summary.recent[0].round})`}: ${summary.recent[0].message}`
        : '–';
    const rows = sites.map((s) => [
      el('span', { class: 'mono', 'data-site': s.siteId }, s.siteId),
      s.revoked ? pill('revoked', 'bad') : s.connected ? pill('connected', 'ok') : pill('disconnected', 'warn'),
      s.connected ? `since ${clock(s.connectedSince)}` : s.lastSeen ? `seen ${ago(s.lastSeen, now)}` : 'never seen',
      String(s.acceptedUpdates),
      clock(s.lastUpdateAt),
      String(s.refusals.total),
      refusalChips(s.refusals),
      latest(s.refusals),
    ]);
    if (unattributed.total > 0)
      rows.push([
        el('span', { class: 'muted' }, 'not on the allow-list'),
        '',
        '',
        '',
        '',
        String(unattributed.total),
        refusalChips(unattributed),
        latest(unattributed),
      ]);
    byId('sites').replaceChildren(table(headers, rows));
  }

  function renderRelease(data) {
    const { release } = data;
    const [text, tone] = RELEASE[release.state];
    const banner = el(
      'div',
      { class: 'banner' },
      pill(text, tone),
      release.version
        ? el('span', { class: 'muted' }, `global version ${release.version} · bundle sha256 ${short(release.sha256)}`)
        : '',
    );
    if (release.sites.length === 0) return byId('release').replaceChildren(banner);
    const headers = [
      'Site',
      'Verdict',
      'Membership AUC [95 % CI] per attack',
      { label: 'Power limit', num: true },
      { label: 'Memorised (baseline)', num: true },
      { label: 'Holdout speakers', num: true },
      { label: 'Holds the release back because', wrap: true },
    ];
    const rows = release.sites.map((s) => {
      const a = s.attestation;
      return [
        el('span', { class: 'mono' }, s.siteId),
        a ? pill(a.verdict.toUpperCase(), VERDICT_TONE[a.verdict], a.reason) : pill('no attestation', 'wait'),
        a
          ? a.figures.attacks.map((k) => `${k.name} ${fixed(k.auc)} [${fixed(k.low)}, ${fixed(k.high)}]`).join(' · ')
          : '–',
        a ? a.figures.attacks.map((k) => fixed(k.powerLimit)).join(' · ') : '–',
        a ? `${fixed(a.figures.memorisedShare)} (${fixed(a.figures.memorisedBaseline)})` : '–',
        a ? String(a.counts.holdoutSpeakers) : '–',
        s.blocking ? [s.blocking, ...s.policyProblems].join('; ') : 'passes',
      ];
    });
    byId('release').replaceChildren(banner, table(headers, rows));
  }

  function renderVersions(data) {
    if (data.versions.length === 0) return byId('versions').replaceChildren(empty('No global version yet.'));
    const headers = ['Version', 'Round', 'Sites', 'Bundle sha256', 'Weights sha256', 'Made'];
    const rows = [...data.versions]
      .reverse()
      .map((v) => [
        `v${v.version}`,
        String(v.round),
        v.sites.join(', '),
        el('span', { class: 'mono' }, short(v.sha256)),
        el('span', { class: 'mono' }, short(v.weightsSha256)),
        clock(v.createdAt),
      ]);
    byId('versions').replaceChildren(table(headers, rows));
  }

  function render() {
    if (!snapshot) return;
    const now = Date.now();
    const colours = siteColours(snapshot);
    byId('coordinator').textContent = `${snapshot.coordinatorUrl} · updated ${clock(snapshot.takenAt)}`;
    renderSummary(snapshot, now);
    renderRounds(snapshot, now);
    renderDrift(snapshot, colours);
    renderLosses(snapshot, colours);
    renderSites(snapshot, now);
    renderRelease(snapshot);
    renderVersions(snapshot);
  }

  function setConnection(text, tone) {
    const node = byId('connection');
    node.className = `pill pill-${tone}`;
    node.textContent = text;
  }

  function showProblem(message) {
    const node = byId('problem');
    node.hidden = !message;
    node.textContent = message ? `The dashboard cannot read the coordinator: ${message}` : '';
  }

  const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  events.addEventListener('snapshot', (event) => {
    snapshot = JSON.parse(event.data);
    lastSnapshotAt = Date.now();
    setConnection('live', 'ok');
    showProblem('');
    render();
  });
  events.addEventListener('problem', (event) => {
    setConnection('coordinator unreachable', 'bad');
    showProblem(JSON.parse(event.data).message);
  });
  events.addEventListener('error', () => setConnection('dashboard process unreachable: retrying', 'bad'));
  // Times ("running 12 s", "seen 5 s ago") move between snapshots too; a stale page says so.
  window.setInterval(() => {
    if (snapshot && Date.now() - lastSnapshotAt > 10_000) setConnection('no news for 10 s', 'warn');
  }, 1000);
})();
