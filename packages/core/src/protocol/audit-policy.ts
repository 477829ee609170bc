// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- jstat ships no typings, and packages compiling these sources must see ours
/// <reference path="../types/jstat.d.ts" />
import jstat from 'jstat';
import {
  Type,
  type Static,
  type TArray,
  type TInteger,
  type TNumber,
  type TObject,
  type TUnion,
  type TLiteral,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The membership attacks an audit can run (privacy-audit's metrics/membership-inference.ts). */
export const MEMBERSHIP_ATTACKS = ['nearest-neighbour', 'reference-ratio'] as const;
export type MembershipAttack = (typeof MEMBERSHIP_ATTACKS)[number];

/**
 * One release policy per federation: the coordinator's config holds it, sites audit with it (or a
 * stricter one) and the coordinator refuses attestations made with anything weaker.
 */
export const AuditPolicySchema: TObject<{
  maxMembershipAuc: TNumber;
  maxMemorisationExcess: TNumber;
  confidenceLevel: TNumber;
  permutations: TInteger;
  attacks: TArray<TUnion<[TLiteral<'nearest-neighbour'>, TLiteral<'reference-ratio'>]>>;
}> = Type.Object(
  {
    /** τ: the membership AUC a generator must stay under (upper CI bound to pass; lower bound above it fails). */
    maxMembershipAuc: Type.Number({ minimum: 0.5, maximum: 1, default: 0.6 }),
    /** Allowed memorised share above its baseline (0.02 = 2 points). */
    maxMemorisationExcess: Type.Number({ minimum: 0, maximum: 1, default: 0.02 }),
    /** Level of the AUC's bootstrap interval. */
    confidenceLevel: Type.Number({ minimum: 0.5, exclusiveMaximum: 1, default: 0.95 }),
    /** Speaker relabellings of the permutation null that gives the power limit. */
    permutations: Type.Integer({ minimum: 200, maximum: 100_000, default: 1000 }),
    /** Attacks every audit must run; a site may run more, never fewer. */
    attacks: Type.Array(Type.Union([Type.Literal('nearest-neighbour'), Type.Literal('reference-ratio')]), {
      minItems: 1,
      uniqueItems: true,
      default: [...MEMBERSHIP_ATTACKS],
    }),
  },
  { additionalProperties: false },
);
export type AuditPolicy = Readonly<Static<typeof AuditPolicySchema>>;

/** The schema's defaults, so the policy a config leaves out and the one the CLI audits under cannot drift apart. */
export const DEFAULT_AUDIT_POLICY: AuditPolicy = Value.Create(AuditPolicySchema);

/** What an audit measured, as far as the verdict needs it (and an attestation carries). */
export const AuditFiguresSchema: TObject<{
  attacks: TArray<
    TObject<{
      name: TUnion<[TLiteral<'nearest-neighbour'>, TLiteral<'reference-ratio'>]>;
      auc: TNumber;
      low: TNumber;
      high: TNumber;
      powerLimit: TNumber;
    }>
  >;
  memorisedShare: TNumber;
  memorisedBaseline: TNumber;
  syntheticSamples: TInteger;
}> = Type.Object(
  {
    attacks: Type.Array(
      Type.Object(
        {
          name: Type.Union([Type.Literal('nearest-neighbour'), Type.Literal('reference-ratio')]),
          /** Utterance-level ROC AUC and its bootstrap interval (speakers resampled). */
          auc: Type.Number({ minimum: 0, maximum: 1 }),
          low: Type.Number({ minimum: 0, maximum: 1 }),
          high: Type.Number({ minimum: 0, maximum: 1 }),
          /** 97.5th percentile of the AUC over random speaker relabellings: what chance alone reaches here. */
          powerLimit: Type.Number({ minimum: 0, maximum: 1 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 16 },
    ),
    /** Share of synthetic samples that copy a member record (privacy-audit's dcr.ts), and the members' own share: the baseline. */
    memorisedShare: Type.Number({ minimum: 0, maximum: 1 }),
    memorisedBaseline: Type.Number({ minimum: 0, maximum: 1 }),
    /** How many synthetic samples the share is of: its interval's width. */
    syntheticSamples: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type AuditFigures = Readonly<Static<typeof AuditFiguresSchema>>;

export type Verdict = 'pass' | 'fail' | 'inconclusive';
const SEVERITY: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

export interface AttackVerdict {
  readonly name: MembershipAttack;
  readonly verdict: Verdict;
  readonly why: string;
}

export interface VerdictDecision {
  readonly verdict: Verdict;
  /** One sentence: the deciding check, with its figures. */
  readonly reason: string;
  readonly memorisationPassed: boolean;
  /** Exact (Clopper–Pearson) interval of the memorised share at the policy's level. */
  readonly memorisedInterval: readonly [number, number];
  readonly attacks: readonly AttackVerdict[];
}

const f2 = (v: number): string => v.toFixed(2);

function judgeAttack(attack: AuditFigures['attacks'][number], tau: number): AttackVerdict {
  const auc = `${f2(attack.auc)} [${f2(attack.low)}, ${f2(attack.high)}]`;
  // A lower bound above τ is a leak only if the AUC is also beyond what chance reaches: with one or
  // two holdout speakers the speaker bootstrap cannot vary the holdout, and its interval is too narrow.
  if (attack.low > tau && attack.auc > attack.powerLimit)
    return {
      name: attack.name,
      verdict: 'fail',
      why: `the ${attack.name} attack tells members from holdout speakers: AUC ${auc}, lower bound above τ = ${f2(tau)} and the AUC above what chance reaches (${f2(attack.powerLimit)}): a demonstrated leak`,
    };
  if (attack.high <= tau)
    return {
      name: attack.name,
      verdict: 'pass',
      why: `the ${attack.name} attack's AUC ${auc} stays under τ = ${f2(tau)}`,
    };
  if (attack.powerLimit > tau)
    return {
      name: attack.name,
      verdict: 'inconclusive',
      why: `the ${attack.name} attack's AUC ${auc} neither shows a leak nor rules one out, and with this holdout chance alone reaches ${f2(attack.powerLimit)} (power limit above τ = ${f2(tau)}): too few holdout speakers to pass anything`,
    };
  return {
    name: attack.name,
    verdict: 'fail',
    why: `the ${attack.name} attack's AUC ${auc} reaches above τ = ${f2(tau)} although this holdout could show a pass (power limit ${f2(attack.powerLimit)}): a leak is not ruled out`,
  };
}

/** Clopper–Pearson interval of a binomial share `share` of `n` at `level`. */
export function shareInterval(share: number, n: number, level: number): [number, number] {
  const k = Math.round(share * n);
  const tail = (1 - level) / 2;
  return [
    k === 0 ? 0 : jstat.jStat.beta.inv(tail, k, n - k + 1),
    k === n ? 1 : jstat.jStat.beta.inv(1 - tail, k + 1, n - k),
  ];
}

/**
 * The audit's verdict by rule (DESIGN §5): FAIL on demonstrated memorisation (the memorised share's
 * lower bound above its baseline plus the allowed excess) or a demonstrated leak (an
 * attack's lower bound above τ and its AUC above the power limit); PASS when every attack's upper bound is within τ; INCONCLUSIVE
 * when neither and the power limit is above τ (no generator could pass with this holdout); FAIL
 * otherwise. Each attack is judged alone and the worst verdict counts. Memorisation is judged by
 * its lower bound, like the attacks, because a share of a few dozen samples moves by several
 * points by chance: a generator that never saw the members must not fail on that noise.
 */
export function decideVerdict(figures: AuditFigures, policy: AuditPolicy): VerdictDecision {
  const memorisationLimit = figures.memorisedBaseline + policy.maxMemorisationExcess;
  const memorisedInterval = shareInterval(figures.memorisedShare, figures.syntheticSamples, policy.confidenceLevel);
  const memorisationPassed = memorisedInterval[0] <= memorisationLimit + 1e-12;
  const attacks = figures.attacks.map((a) => judgeAttack(a, policy.maxMembershipAuc));
  const worst = attacks.reduce((w, a) => (SEVERITY[a.verdict] > SEVERITY[w.verdict] ? a : w));
  if (!memorisationPassed)
    return {
      verdict: 'fail',
      reason: `${(figures.memorisedShare * 100).toFixed(1)} % [${(memorisedInterval[0] * 100).toFixed(1)}, ${(memorisedInterval[1] * 100).toFixed(1)}] of synthetic samples copy a member record (nearer to it, relative to the next record, than 95 % of member records are to each other), above the limit of ${(memorisationLimit * 100).toFixed(1)} %: the generator copies records.`,
      memorisationPassed,
      memorisedInterval,
      attacks,
    };
  const reason =
    worst.verdict === 'pass'
      ? `Every attack stays under τ = ${f2(policy.maxMembershipAuc)} (${attacks.map((a) => a.why.replace(/^the /, '')).join('; ')}) and no records are memorised.`
      : `${worst.why.charAt(0).toUpperCase()}${worst.why.slice(1)}.`;
  return { verdict: worst.verdict, reason, memorisationPassed, memorisedInterval, attacks };
}

/**
 * Where `used` is weaker than the federation's `required` policy: each a readable reason (empty
 * when `used` is as strict or stricter). Attacks may be added, never dropped; thresholds only tightened.
 */
export function policyWeaknesses(used: AuditPolicy, required: AuditPolicy): string[] {
  const reasons: string[] = [];
  if (used.maxMembershipAuc > required.maxMembershipAuc)
    reasons.push(`τ ${used.maxMembershipAuc} is above the federation's ${required.maxMembershipAuc}`);
  if (used.maxMemorisationExcess > required.maxMemorisationExcess)
    reasons.push(
      `memorisation excess ${used.maxMemorisationExcess} is above the federation's ${required.maxMemorisationExcess}`,
    );
  if (used.confidenceLevel < required.confidenceLevel)
    reasons.push(`confidence level ${used.confidenceLevel} is below the federation's ${required.confidenceLevel}`);
  if (used.permutations < required.permutations)
    reasons.push(`${used.permutations} permutations are fewer than the federation's ${required.permutations}`);
  const missing = required.attacks.filter((a) => !used.attacks.includes(a));
  if (missing.length) reasons.push(`required attacks not run: ${missing.join(', ')}`);
  return reasons;
}

/** The stricter of two policies, field by field, with the union of their attacks. */
export function strictestPolicy(a: AuditPolicy, b: AuditPolicy): AuditPolicy {
  return {
    maxMembershipAuc: Math.min(a.maxMembershipAuc, b.maxMembershipAuc),
    maxMemorisationExcess: Math.min(a.maxMemorisationExcess, b.maxMemorisationExcess),
    confidenceLevel: Math.max(a.confidenceLevel, b.confidenceLevel),
    permutations: Math.max(a.permutations, b.permutations),
    attacks: MEMBERSHIP_ATTACKS.filter((name) => a.attacks.includes(name) || b.attacks.includes(name)),
  };
}
