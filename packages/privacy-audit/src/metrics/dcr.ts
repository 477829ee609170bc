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
  /** 5th percentile of the members' leave-one-out NNDR (each record against the other member records). */
  readonly memberNndrP5: number;
  /**
   * Share of synthetic samples that copy a record: NNDR below the members' leave-one-out 5th
   * percentile, i.e. nearer one member record, relative to the next, than 95 % of member records
   * are to each other. The verdict's memorised share.
   */
  readonly syntheticCopyShare: number;
  /** The members' own share below that threshold: the baseline (≈ 0.05 by construction). */
  readonly memberCopyShare: number;
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

/**
 * Memorisation checks (DCR and NNDR, as in SynthCity and Anonymeter) of synthetic samples against
 * member records. The verdict's copy share compares NNDR with the members' own leave-one-out NNDR:
 * the holdout is no reference for copying when its speakers differ from the members (one distinct
 * holdout speaker puts its DCR and NNDR thresholds far out, and new samples of the members' voices
 * then fall below them), while a reproduced record stands out against the members' other records
 * whatever the holdout (NNDR near 0), and a new utterance of a member's voice does not.
 */
export function measureMemorisation(synthetic: Rows, members: Rows, holdout: Rows): MemorisationResult {
  const synth = nearestDistances(synthetic, members);
  const held = nearestDistances(holdout, members);
  const leaveOneOut = nearestDistances(members, members, (query, reference) => query === reference);
  const ratios = (d: { first: Float64Array; second: Float64Array }): Float64Array =>
    Float64Array.from(d.first, (first, i) => first / Math.max(d.second[i]!, 1e-12));
  const [synthNndr, memberNndr] = [ratios(synth), ratios(leaveOneOut)];
  const holdoutDcrP5 = quantile(held.first, 0.05);
  const memberNndrP5 = quantile(memberNndr, 0.05);
  return {
    syntheticToMemberDcr: synth.first,
    holdoutToMemberDcr: held.first,
    holdoutDcrP5,
    syntheticShareBelowHoldoutP5: shareBelow(synth.first, holdoutDcrP5),
    holdoutShareBelowP5: shareBelow(held.first, holdoutDcrP5),
    syntheticNndrMedian: quantile(synthNndr, 0.5),
    holdoutNndrMedian: quantile(ratios(held), 0.5),
    memberNndrP5,
    syntheticCopyShare: shareBelow(synthNndr, memberNndrP5),
    memberCopyShare: shareBelow(memberNndr, memberNndrP5),
  };
}
