/**
 * `npm run bench:moments`: how close the private standardiser (core privateMoments) comes to the
 * exact per-dimension moments on a corpus, over several noise draws: the share of dimensions whose
 * mean is within 0.1 std and whose std is within ×1.25 of the exact ones (mean and worst draw), the
 * worst errors, and the releases' ε at δ = 1e-5. Works on any imported feature set.
 * Options: --features <file.arrow> (required), --rows N (a seeded random subset; default all),
 * --dims N (the first N dimensions; default all), --sigma σ (default the library's), --draws N (default 20).
 */
import { parseArgs } from 'node:util';
import {
  computeMoments,
  createRng,
  DEFAULT_MOMENTS_NOISE_MULTIPLIER,
  epsilonOf,
  privateMoments,
  readFeatureSet,
  shuffledIndices,
} from '@emodistill/core';

const { values: args } = parseArgs({
  options: {
    features: { type: 'string' },
    rows: { type: 'string' },
    dims: { type: 'string' },
    sigma: { type: 'string', default: String(DEFAULT_MOMENTS_NOISE_MULTIPLIER) },
    draws: { type: 'string', default: '20' },
  },
});
if (!args.features) {
  console.error('bench:moments needs --features <file.arrow>');
  process.exit(2);
}
const set = await readFeatureSet(args.features);
const sigma = Number(args.sigma);
const rows = Math.min(set.ids.length, Number(args.rows ?? set.ids.length));
const dims = Math.min(set.dimension, Number(args.dims ?? set.dimension));
const order = shuffledIndices(set.ids.length, createRng(7));
const features = new Float32Array(rows * dims);
for (let r = 0; r < rows; r++)
  for (let j = 0; j < dims; j++) features[r * dims + j] = set.features[order[r]! * set.dimension + j]!;

const truth = computeMoments(features, dims);
const shares = { mean: [] as number[], std: [] as number[], both: [] as number[] };
let worstMean = 0;
let worstRatio = 1;
let epsilon = 0;
for (let draw = 0; draw < Number(args.draws); draw++) {
  const { moments, mechanism } = privateMoments(features, dims, { noiseMultiplier: sigma, seed: 1000 + draw });
  epsilon = epsilonOf(mechanism, 1e-5).epsilon;
  let mean = 0;
  let std = 0;
  let both = 0;
  for (let j = 0; j < dims; j++) {
    const exactStd = Math.sqrt(truth.variance[j]!) || 1;
    const meanError = Math.abs(moments.mean[j]! - truth.mean[j]!) / exactStd;
    const ratio = Math.sqrt(moments.variance[j]!) / exactStd;
    const meanOk = meanError <= 0.1;
    const stdOk = ratio <= 1.25 && ratio >= 1 / 1.25;
    mean += +meanOk;
    std += +stdOk;
    both += +(meanOk && stdOk);
    worstMean = Math.max(worstMean, meanError);
    worstRatio = Math.max(worstRatio, ratio, 1 / ratio);
  }
  shares.mean.push(mean / dims);
  shares.std.push(std / dims);
  shares.both.push(both / dims);
}
const pct = (values: number[], pick: (v: number[]) => number): string => (100 * pick(values)).toFixed(1);
const average = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const worst = (v: number[]): number => Math.min(...v);
console.log(
  `${args.features}: ${rows} rows × ${dims} dimensions, σ ${sigma} (ε ${epsilon.toFixed(2)} at δ 1e-5), ${args.draws} noise draws`,
);
console.log(
  `dimensions with the mean within 0.1 std: ${pct(shares.mean, average)} % (worst draw ${pct(shares.mean, worst)} %); std within ×1.25: ${pct(shares.std, average)} % (worst ${pct(shares.std, worst)} %); both: ${pct(shares.both, average)} % (worst ${pct(shares.both, worst)} %)`,
);
console.log(`worst mean error ${worstMean.toFixed(2)} std; worst std ratio ×${worstRatio.toPrecision(3)}`);
