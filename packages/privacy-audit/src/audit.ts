import {
  applyStandardiser,
  assertCompatible,
  decideVerdict,
  DEFAULT_AUDIT_POLICY,
  evaluateDownstream,
  fitStandardiser,
  labelIndices,
  type AuditFigures,
  type AuditPolicy,
  type FeatureSet,
  type VerdictDecision,
} from '@emodistill/core';
import { PRIVACY_AUDIT_ERRORS, PrivacyAuditError } from './errors.js';
import type { Estimate } from './metrics/bootstrap.js';
import { measureMemorisation } from './metrics/dcr.js';
import { inferMembership, type AttackResult } from './metrics/membership-inference.js';
import { balancedSpeakersNeeded, holdoutSpeakersNeeded } from './metrics/permutation-null.js';
import { projectTo2d } from './metrics/projection.js';
import {
  probeEmotionModelRepresentations,
  probeSyntheticSpeakerInformation,
  type RepresentationProbeResult,
  type SpeakerProbeResult,
} from './metrics/speaker-probe.js';

export const AUDIT_REPORT_VERSION = 2;

export interface AuditOptions {
  /** Thresholds, interval level, permutations and attacks (default: DEFAULT_AUDIT_POLICY). */
  readonly policy?: AuditPolicy;
  /** Bootstrap resamples for confidence intervals (default 1000). */
  readonly resamples?: number;
  readonly seed?: number;
  /** Label of the audited synthetic set for the report, e.g. the bundle's file name (not its path: reports get shared). */
  readonly subject: string;
}

/** The machine-readable audit report (schema version AUDIT_REPORT_VERSION). */
export interface AuditReport {
  readonly version: number;
  readonly subject: string;
  readonly createdAt: string;
  readonly counts: {
    readonly synthetic: number;
    readonly memberUtterances: number;
    readonly memberSpeakers: number;
    readonly holdoutUtterances: number;
    readonly holdoutSpeakers: number;
  };
  readonly membership: { readonly nearestNeighbour: AttackResult; readonly referenceRatio: AttackResult };
  readonly memorisation: {
    readonly syntheticShareBelowHoldoutP5: number;
    readonly holdoutShareBelowP5: number;
    readonly holdoutDcrP5: number;
    readonly memberNndrP5: number;
    readonly syntheticCopyShare: number;
    readonly memberCopyShare: number;
    readonly syntheticNndrMedian: number;
    readonly holdoutNndrMedian: number;
    readonly syntheticDcr: readonly number[];
    readonly holdoutDcr: readonly number[];
  };
  readonly speakerInformation: {
    readonly probe: SpeakerProbeResult;
    readonly representations: RepresentationProbeResult;
  };
  readonly utility: { readonly uar: { mean: number; std: number }; readonly wa: { mean: number; std: number } };
  /** 2-D PCA (fitted on the real data) of every row, for the report's scatter plots; stays at the site. */
  readonly embedding: readonly EmbeddedPoint[];
  readonly verdict: AuditVerdict;
  readonly summary: readonly string[];
}

/** The verdict by rule (core's decideVerdict) with what it was decided on and what a pass would need. */
export interface AuditVerdict extends VerdictDecision {
  readonly policy: AuditPolicy;
  readonly figures: AuditFigures;
  /** When inconclusive: about how many holdout speakers (these members kept) would let a pass be shown; null if none would. */
  readonly holdoutSpeakersNeeded?: number | null;
  /** When inconclusive: speakers per group of a balanced audit (members = holdout) that would. */
  readonly balancedSpeakersNeeded?: number;
}

export interface EmbeddedPoint {
  readonly x: number;
  readonly y: number;
  readonly set: 'member' | 'holdout' | 'synthetic';
  readonly speaker: string;
  readonly emotion: string;
}

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const interval = (e: Estimate): string => `${e.value.toFixed(2)} [${e.low.toFixed(2)}, ${e.high.toFixed(2)}]`;

/** Refuses sets the audit's metrics cannot be computed on, naming the set and what it lacks. */
function assertAuditable(sets: Readonly<Record<'synthetic' | 'member' | 'holdout', FeatureSet>>): void {
  for (const [name, set] of Object.entries(sets))
    if (set.ids.length === 0)
      throw new PrivacyAuditError(PRIVACY_AUDIT_ERRORS.emptySet, `the ${name} set has no rows: nothing to audit`);
  const speakers = new Set(sets.member.speakers);
  if (speakers.size < 2)
    throw new PrivacyAuditError(
      PRIVACY_AUDIT_ERRORS.tooFewMemberSpeakers,
      `the member set has a single speaker (${[...speakers].join()}): the speaker-ID probes need at least 2; audit with member data of 2 or more speakers`,
    );
}

/**
 * Audits a synthetic set against the site's real member data (speakers the generator trained on)
 * and holdout data (speakers it never saw), all in the members' standardised feature space.
 */
export function runAudit(
  synthetic: FeatureSet,
  members: FeatureSet,
  holdout: FeatureSet,
  options: AuditOptions,
): AuditReport {
  assertCompatible(members, synthetic, 'member and synthetic sets');
  assertCompatible(members, holdout, 'member and holdout sets');
  assertAuditable({ synthetic, member: members, holdout });
  const standardiser = fitStandardiser(members.features, members.dimension);
  const rows = (
    set: FeatureSet,
  ): { values: Float32Array; dimension: number; speakers: readonly string[]; emotionLabels: Int32Array } => ({
    values: applyStandardiser(set.features, standardiser),
    dimension: set.dimension,
    speakers: set.speakers,
    emotionLabels: labelIndices(set),
  });
  const [s, m, h] = [rows(synthetic), rows(members), rows(holdout)];
  const policy = options.policy ?? DEFAULT_AUDIT_POLICY;
  const membership = inferMembership(s, m, h, {
    resamples: options.resamples ?? 1000,
    seed: options.seed ?? 0,
    level: policy.confidenceLevel,
    permutations: policy.permutations,
  });
  const memorisation = measureMemorisation(s, m, h);
  const probe = probeSyntheticSpeakerInformation(s, m, options.seed ?? 0);
  const representations = probeEmotionModelRepresentations(s, m, members.classNames.length, options.seed ?? 0);
  const utility = evaluateDownstream(synthetic, holdout, { seeds: [0, 1, 2] });
  const attacks = [membership.nearestNeighbour, membership.referenceRatio].filter((a) =>
    policy.attacks.includes(a.name),
  );
  const realRows = { values: Float32Array.from([...m.values, ...h.values]), dimension: members.dimension };
  const projected = projectTo2d(realRows, [m, h, s]);
  const embedding = (['member', 'holdout', 'synthetic'] as const).flatMap((kind, k) => {
    const set = [members, holdout, synthetic][k]!;
    return projected[k]!.map(([x, y], i) => ({
      x,
      y,
      set: kind,
      speaker: set.speakers[i]!,
      emotion: set.emotions[i]!,
    }));
  });
  const verdict = auditVerdict(attacks, memorisation, synthetic.ids.length, policy);
  return {
    version: AUDIT_REPORT_VERSION,
    subject: options.subject,
    createdAt: new Date().toISOString(),
    counts: {
      synthetic: synthetic.ids.length,
      memberUtterances: members.ids.length,
      memberSpeakers: membership.memberSpeakers,
      holdoutUtterances: holdout.ids.length,
      holdoutSpeakers: membership.holdoutSpeakers,
    },
    membership: { nearestNeighbour: membership.nearestNeighbour, referenceRatio: membership.referenceRatio },
    memorisation: {
      syntheticShareBelowHoldoutP5: memorisation.syntheticShareBelowHoldoutP5,
      holdoutShareBelowP5: memorisation.holdoutShareBelowP5,
      holdoutDcrP5: memorisation.holdoutDcrP5,
      memberNndrP5: memorisation.memberNndrP5,
      syntheticCopyShare: memorisation.syntheticCopyShare,
      memberCopyShare: memorisation.memberCopyShare,
      syntheticNndrMedian: memorisation.syntheticNndrMedian,
      holdoutNndrMedian: memorisation.holdoutNndrMedian,
      syntheticDcr: Array.from(memorisation.syntheticToMemberDcr),
      holdoutDcr: Array.from(memorisation.holdoutToMemberDcr),
    },
    speakerInformation: { probe, representations },
    utility: { uar: utility.uar, wa: utility.wa },
    embedding,
    verdict,
    summary: [
      `Membership inference (utterance AUC, 95 % CI): nearest-neighbour ${interval(membership.nearestNeighbour.utteranceAuc)}, reference-ratio ${interval(membership.referenceRatio.utteranceAuc)}; 0.50 = no leak. Speaker-level: ${interval(membership.nearestNeighbour.speakerAuc)} and ${interval(membership.referenceRatio.speakerAuc)} over ${membership.memberSpeakers} member and ${membership.holdoutSpeakers} holdout speakers.`,
      `TPR at 1 % / 10 % FPR: ${percent(membership.nearestNeighbour.tprAtFpr1)} / ${percent(membership.nearestNeighbour.tprAtFpr10)} (nearest-neighbour), ${percent(membership.referenceRatio.tprAtFpr1)} / ${percent(membership.referenceRatio.tprAtFpr10)} (reference-ratio).`,
      `Memorisation: ${percent(memorisation.syntheticCopyShare)} of synthetic samples copy a member record — nearer one record, relative to the next, than 95 % of member records are to each other (NNDR; members' baseline ${percent(memorisation.memberCopyShare)}); by DCR alone ${percent(memorisation.syntheticShareBelowHoldoutP5)} (baseline ${percent(memorisation.holdoutShareBelowP5)}); median NNDR ${memorisation.syntheticNndrMedian.toFixed(2)} vs ${memorisation.holdoutNndrMedian.toFixed(2)} for real holdout data.`,
      `Speaker probe (accuracy ${percent(probe.probeAccuracy)} on real held-out utterances, chance ${percent(probe.chance)}): mean confidence ${percent(probe.syntheticConfidence)} on synthetic samples vs ${percent(probe.realConfidence)} on real ones.`,
      `Speaker ID from the emotion model's hidden layer: ${percent(representations.syntheticTrainedAccuracy)} when trained on synthetic data vs ${percent(representations.realTrainedAccuracy)} when trained on real data (chance ${percent(representations.chance)}).`,
      `Utility: the synthetic set trains an emotion classifier to ${percent(utility.uar.mean)} UAR on the holdout speakers.`,
      `Verdict: ${verdict.verdict.toUpperCase()}. ${verdict.reason}${speakersNeededSentence(verdict)}`,
    ],
  };
}

function auditVerdict(
  attacks: readonly AttackResult[],
  memorisation: { syntheticCopyShare: number; memberCopyShare: number },
  syntheticSamples: number,
  policy: AuditPolicy,
): AuditVerdict {
  const figures: AuditFigures = {
    attacks: attacks.map((a) => ({
      name: a.name,
      auc: a.utteranceAuc.value,
      low: a.utteranceAuc.low,
      high: a.utteranceAuc.high,
      powerLimit: a.powerLimit.limit,
    })),
    memorisedShare: memorisation.syntheticCopyShare,
    memorisedBaseline: memorisation.memberCopyShare,
    syntheticSamples,
  };
  const decision = decideVerdict(figures, policy);
  if (decision.verdict !== 'inconclusive') return { ...decision, policy, figures };
  // The attack with the highest power limit is the one a larger holdout must bring under τ.
  const limiting = attacks.reduce((a, b) => (b.powerLimit.limit > a.powerLimit.limit ? b : a)).powerLimit;
  return {
    ...decision,
    policy,
    figures,
    holdoutSpeakersNeeded: holdoutSpeakersNeeded(limiting, policy.maxMembershipAuc) ?? null,
    balancedSpeakersNeeded: balancedSpeakersNeeded(limiting, policy.maxMembershipAuc),
  };
}

/** For an inconclusive verdict: how many speakers a pass needs, in words. */
export function speakersNeededSentence(verdict: AuditVerdict): string {
  if (verdict.verdict !== 'inconclusive') return '';
  const balanced = `or about ${verdict.balancedSpeakersNeeded} member and ${verdict.balancedSpeakersNeeded} holdout speakers`;
  return verdict.holdoutSpeakersNeeded
    ? ` A pass needs about ${verdict.holdoutSpeakersNeeded} holdout speakers with these members (${balanced}).`
    : ` No holdout is large enough with these members: a pass needs more of both, ${balanced}.`;
}
