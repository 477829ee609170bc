/**
 * Rényi-DP accounting of the Poisson-subsampled Gaussian mechanism (DP-SGD): sampling rate q,
 * noise multiplier σ (noise std / clipping norm), T steps. Pure arithmetic, no tfjs.
 */

/** Integer Rényi orders 2–256: the closed form below holds for integer α only. */
export const RDP_ORDERS: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 2);

/** How an RDP curve becomes (ε, δ): the classic bound, or the tighter one of Balle et al. 2020. */
export const RDP_CONVERSIONS = ['classic', 'tight'] as const;
export type RdpConversion = (typeof RDP_CONVERSIONS)[number];

export interface PrivacySpend {
  readonly epsilon: number;
  readonly delta: number;
  /** The Rényi order the minimum was reached at. */
  readonly order: number;
  readonly conversion: RdpConversion;
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const high = Math.max(a, b);
  return high + Math.log1p(Math.exp(Math.min(a, b) - high));
}

/** log C(n, k) through log-gamma-free running sums (n ≤ 256 here, so exact enough). */
function logBinomials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) out[k] = out[k - 1]! + Math.log(n - k + 1) - Math.log(k);
  return out;
}

/**
 * RDP of one step at integer order α (Mironov, Talwar and Zhang 2019, §3.3):
 * log A_α / (α − 1), A_α = Σ_{i=0..α} C(α, i) (1 − q)^{α−i} q^i exp((i² − i) / (2σ²)).
 */
export function subsampledGaussianRdp(q: number, sigma: number, order: number): number {
  if (!Number.isInteger(order) || order < 2) throw new RangeError(`Rényi order must be an integer ≥ 2, got ${order}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (q === 0) return 0;
  if (!(sigma > 0)) return Infinity;
  if (q === 1) return order / (2 * sigma * sigma);
  const binomials = logBinomials(order);
  let logA = -Infinity;
  for (let i = 0; i <= order; i++)
    logA = logAddExp(
      logA,
      binomials[i]! + i * Math.log(q) + (order - i) * Math.log1p(-q) + (i * i - i) / (2 * sigma * sigma),
    );
  return logA / (order - 1);
}

/**
 * T steps' RDP at every order of RDP_ORDERS (RDP composes by addition, so the curves of rounds with
 * different q, σ or T add up to the whole training's).
 */
export function rdpCurve(mechanism: { samplingRate: number; noiseMultiplier: number; steps: number }): number[] {
  return RDP_ORDERS.map((order) =>
    mechanism.steps === 0
      ? 0
      : mechanism.steps * subsampledGaussianRdp(mechanism.samplingRate, mechanism.noiseMultiplier, order),
  );
}

/** RDP composes by addition: the curve of all of `curves` (mechanisms on the same data) together. */
export function composeCurves(curves: readonly (readonly number[])[]): number[] {
  return RDP_ORDERS.map((_, i) => curves.reduce((sum, curve) => sum + curve[i]!, 0));
}

/**
 * The ε at δ of an RDP curve over RDP_ORDERS, minimised over the orders.
 * classic: ε = RDP(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3);
 * tight: ε = RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1) (Balle et al. 2020, Thm. 21).
 */
export function epsilonFromRdp(
  curve: readonly number[],
  delta: number,
  conversion: RdpConversion = 'classic',
): PrivacySpend {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must be in (0, 1), got ${delta}`);
  if (curve.length !== RDP_ORDERS.length)
    throw new RangeError(`an RDP curve has ${RDP_ORDERS.length} orders, got ${curve.length}`);
  if (curve.every((rdp) => rdp === 0)) return { epsilon: 0, delta, order: RDP_ORDERS[0]!, conversion };
  let best: PrivacySpend = { epsilon: Infinity, delta, order: RDP_ORDERS[0]!, conversion };
  RDP_ORDERS.forEach((order, i) => {
    const rdp = curve[i]!;
    const epsilon =
      conversion === 'classic'
        ? rdp + Math.log(1 / delta) / (order - 1)
        : rdp + Math.log((order - 1) / order) - (Math.log(delta) + Math.log(order)) / (order - 1);
    if (epsilon < best.epsilon) best = { epsilon, delta, order, conversion };
  });
  return best;
}

/** The ε of T steps of the Poisson-subsampled Gaussian at δ, minimised over the integer orders 2–256. */
export function epsilonOf(
  mechanism: { samplingRate: number; noiseMultiplier: number; steps: number },
  delta: number,
  conversion: RdpConversion = 'classic',
): PrivacySpend {
  return epsilonFromRdp(rdpCurve(mechanism), delta, conversion);
}

/**
 * The smallest noise multiplier σ (to 0.1 %) whose T steps at sampling rate q — composed with the
 * RDP curve `alongside` (other releases of the same data), if given — stay within ε at δ:
 * bisection, ε falling monotonically with σ. Throws when even σ = 1000 does not reach it.
 */
export function noiseMultiplierFor(
  mechanism: { samplingRate: number; steps: number },
  target: { epsilon: number; delta: number },
  conversion: RdpConversion = 'classic',
  alongside?: readonly number[],
): number {
  const epsilonAt = (sigma: number): number =>
    epsilonFromRdp(
      composeCurves([rdpCurve({ ...mechanism, noiseMultiplier: sigma }), ...(alongside ? [alongside] : [])]),
      target.delta,
      conversion,
    ).epsilon;
  let high = 1;
  while (epsilonAt(high) > target.epsilon) {
    high *= 2;
    if (high > 1000)
      throw new RangeError(`no noise multiplier up to 1000 reaches ε = ${target.epsilon} at δ = ${target.delta}`);
  }
  let low = 0;
  while (high - low > 1e-3 * high) {
    const middle = (low + high) / 2;
    if (epsilonAt(middle) > target.epsilon) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * Group privacy for k records (e.g. all utterances of one speaker): an (ε, δ) guarantee per record
 * gives (kε, k·e^{(k−1)ε}·δ) per group. Large by nature: it is stated, not hidden.
 */
export function groupPrivacy(spend: PrivacySpend, groupSize: number): { epsilon: number; delta: number } {
  if (!Number.isInteger(groupSize) || groupSize < 1)
    throw new RangeError(`group size must be a positive integer, got ${groupSize}`);
  return {
    epsilon: groupSize * spend.epsilon,
    delta: Math.min(1, groupSize * Math.exp((groupSize - 1) * spend.epsilon) * spend.delta),
  };
}
