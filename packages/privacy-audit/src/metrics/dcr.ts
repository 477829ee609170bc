import { nearestDistances, type Rows } from './distances.js';

export interface MemorisationResult {
  /** Distance to closest record: each synthetic sample to its nearest member record. */
  readonly syntheticToMemberDcr: Float64Array;
  /** The same for real holdout records: how close unseen real data comes to the members. */
  readonly holdoutToMemberDcr: Float64Array;
  /** 5th percentile of the holdout DCRs: "closer than this" is closer than unseen real data usually gets. */
  readonly holdoutDcrP5: number;
  /** Share of synthetic samples with DCR below the holdout's 5th percentile (≈ 0.05 when nothing is copied). */
  readonly syntheticShareBelowHoldoutP5: number;
  /** The holdout's own share below that threshold: the baseline (≈ 0.05 by construction). */
  readonly holdoutShareBelowP5: number;
  /** Median nearest-neighbour distance ratio d₁/d₂ of synthetic samples to members (near 0 = a copy of one record). */
  readonly syntheticNndrMedian: number;
  readonly holdoutNndrMedian: number;
}

function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  return (
    sorted[below]! +
    ((sorted[Math.min(sorted.length - 1, below + 1)] ?? sorted[below]!) - sorted[below]!) * (position - below)
  );
}

const shareBelow = (values: Float64Array, threshold: number): number =>
  values.filter((v) => v < threshold).length / values.length;

/** Memorisation checks (DCR and NNDR, as in SynthCity and Anonymeter) of synthetic samples against member records. */
export function measureMemorisation(synthetic: Rows, members: Rows, holdout: Rows): MemorisationResult {
  const synth = nearestDistances(synthetic, members);
  const held = nearestDistances(holdout, members);
  const holdoutDcrP5 = quantile(held.first, 0.05);
  const nndr = (d: { first: Float64Array; second: Float64Array }): number =>
    quantile(
      Float64Array.from(d.first, (first, i) => first / Math.max(d.second[i]!, 1e-12)),
      0.5,
    );
  return {
    syntheticToMemberDcr: synth.first,
    holdoutToMemberDcr: held.first,
    holdoutDcrP5,
    syntheticShareBelowHoldoutP5: shareBelow(synth.first, holdoutDcrP5),
    holdoutShareBelowP5: shareBelow(held.first, holdoutDcrP5),
    syntheticNndrMedian: nndr(synth),
    holdoutNndrMedian: nndr(held),
  };
}
