/** Minimal inline-SVG plots: the report must open offline, with no script or network. */

const WIDTH = 420;
const HEIGHT = 300;
const MARGIN = { left: 48, right: 12, top: 24, bottom: 40 };
/** Colour-blind-safe palette (Okabe–Ito), cycled for categories. */
export const PALETTE: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Scale {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
}

function scales(xRange: [number, number], yRange: [number, number]): Scale {
  const span = (r: [number, number]): number => r[1] - r[0] || 1;
  return {
    x: (v) => MARGIN.left + ((v - xRange[0]) / span(xRange)) * (WIDTH - MARGIN.left - MARGIN.right),
    y: (v) => HEIGHT - MARGIN.bottom - ((v - yRange[0]) / span(yRange)) * (HEIGHT - MARGIN.top - MARGIN.bottom),
  };
}

function frame(title: string, xLabel: string, yLabel: string, body: string, legend: string): string {
  return `<svg class="plot" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
<title>${escapeHtml(title)}</title>
<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${HEIGHT - MARGIN.top - MARGIN.bottom}" fill="none" stroke="#999"/>
<text x="${WIDTH / 2}" y="14" text-anchor="middle" font-size="13">${escapeHtml(title)}</text>
<text x="${WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11">${escapeHtml(xLabel)}</text>
<text x="12" y="${HEIGHT / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${HEIGHT / 2})">${escapeHtml(yLabel)}</text>
${body}
${legend}
</svg>`;
}

function legendFor(entries: readonly { label: string; colour: string }[]): string {
  return entries
    .map(
      (e, i) =>
        `<g transform="translate(${MARGIN.left + 6 + (i % 3) * 115} ${MARGIN.top + 8 + Math.floor(i / 3) * 13})"><rect width="8" height="8" fill="${e.colour}"/><text x="11" y="8" font-size="10">${escapeHtml(e.label)}</text></g>`,
    )
    .join('\n');
}

export interface Series {
  readonly label: string;
  readonly points: readonly { x: number; y: number }[];
}

/** Lines from (0,0) to (1,1), with the chance diagonal. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const s = scales([0, 1], [0, 1]);
  const lines = series.map(
    (line, i) =>
      `<polyline class="series" fill="none" stroke-width="2" stroke="${PALETTE[i % PALETTE.length]}" points="${line.points.map((p) => `${s.x(p.x).toFixed(1)},${s.y(p.y).toFixed(1)}`).join(' ')}"/>`,
  );
  const diagonal = `<line x1="${s.x(0)}" y1="${s.y(0)}" x2="${s.x(1)}" y2="${s.y(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`;
  return frame(
    title,
    xLabel,
    yLabel,
    [diagonal, ...lines].join('\n'),
    legendFor(series.map((l, i) => ({ label: l.label, colour: PALETTE[i % PALETTE.length]! }))),
  );
}

/**
 * Lines through marked points on the given axis ranges (each end labelled with its value), e.g. a
 * privacy–utility frontier: one series per family of settings.
 */
export function pathChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
  ranges: { readonly x: [number, number]; readonly y: [number, number] },
): string {
  const s = scales(ranges.x, ranges.y);
  const marks = series.flatMap((line, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    return [
      `<polyline class="series" fill="none" stroke-width="2" stroke="${colour}" points="${line.points.map((p) => `${s.x(p.x).toFixed(1)},${s.y(p.y).toFixed(1)}`).join(' ')}"/>`,
      ...line.points.map(
        (p) => `<circle cx="${s.x(p.x).toFixed(1)}" cy="${s.y(p.y).toFixed(1)}" r="3" fill="${colour}"/>`,
      ),
    ];
  });
  const tick = (x: number, y: number, text: string, anchor: string): string =>
    `<text x="${x}" y="${y}" text-anchor="${anchor}" font-size="9" fill="#555">${escapeHtml(text)}</text>`;
  const ticks = [
    tick(s.x(ranges.x[0]), HEIGHT - MARGIN.bottom + 11, String(ranges.x[0]), 'start'),
    tick(s.x(ranges.x[1]), HEIGHT - MARGIN.bottom + 11, String(ranges.x[1]), 'end'),
    tick(MARGIN.left - 3, s.y(ranges.y[0]), String(ranges.y[0]), 'end'),
    tick(MARGIN.left - 3, s.y(ranges.y[1]) + 8, String(ranges.y[1]), 'end'),
  ];
  return frame(
    title,
    xLabel,
    yLabel,
    [...ticks, ...marks].join('\n'),
    legendFor(series.map((l, i) => ({ label: l.label, colour: PALETTE[i % PALETTE.length]! }))),
  );
}

/** Overlaid histograms (as step outlines with light fill) over shared bins; an optional marker line. */
export function histogram(
  title: string,
  xLabel: string,
  groups: readonly { label: string; values: readonly number[] }[],
  marker?: { x: number; label: string },
  bins = 30,
): string {
  const all = groups.flatMap((g) => g.values);
  const low = Math.min(...all);
  const high = Math.max(...all, low + 1e-9);
  const width = (high - low) / bins;
  const densities = groups.map((g) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of g.values) counts[Math.min(bins - 1, Math.floor((v - low) / width))]!++;
    return counts.map((c) => c / Math.max(1, g.values.length));
  });
  const top = Math.max(...densities.flat(), 1e-9);
  const s = scales([low, high], [0, top]);
  const bars = densities.map((density, gi) =>
    density
      .map(
        (d, b) =>
          `<rect x="${s.x(low + b * width).toFixed(1)}" y="${s.y(d).toFixed(1)}" width="${Math.max(0.5, s.x(low + (b + 1) * width) - s.x(low + b * width)).toFixed(1)}" height="${(s.y(0) - s.y(d)).toFixed(1)}" fill="${PALETTE[gi % PALETTE.length]}" fill-opacity="0.45"/>`,
      )
      .join(''),
  );
  const markerLine = marker
    ? `<line x1="${s.x(marker.x)}" y1="${MARGIN.top}" x2="${s.x(marker.x)}" y2="${s.y(0)}" stroke="#000" stroke-dasharray="3 2"/><text x="${s.x(marker.x) + 3}" y="${MARGIN.top + 34}" font-size="10">${escapeHtml(marker.label)}</text>`
    : '';
  return frame(
    title,
    xLabel,
    'share of samples',
    [...bars, markerLine].join('\n'),
    legendFor(groups.map((g, i) => ({ label: g.label, colour: PALETTE[i % PALETTE.length]! }))),
  );
}

/** Scatter plot coloured by category; `shape` draws synthetic points as crosses. */
export function scatter(
  title: string,
  points: readonly { x: number; y: number; category: string; synthetic: boolean }[],
): string {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const s = scales([Math.min(...xs), Math.max(...xs)], [Math.min(...ys), Math.max(...ys)]);
  const categories = [...new Set(points.map((p) => p.category))];
  const colour = (category: string): string => PALETTE[categories.indexOf(category) % PALETTE.length]!;
  const marks = points.map((p) =>
    p.synthetic
      ? `<path d="M${(s.x(p.x) - 2.5).toFixed(1)} ${(s.y(p.y) - 2.5).toFixed(1)}l5 5m0 -5l-5 5" stroke="${colour(p.category)}" stroke-width="1.2"/>`
      : `<circle cx="${s.x(p.x).toFixed(1)}" cy="${s.y(p.y).toFixed(1)}" r="2.2" fill="${colour(p.category)}" fill-opacity="0.7"/>`,
  );
  return frame(
    title,
    'principal component 1',
    'principal component 2',
    marks.join('\n'),
    legendFor(categories.slice(0, 12).map((c) => ({ label: c, colour: colour(c) }))),
  );
}
