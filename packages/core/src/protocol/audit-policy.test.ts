import { describe, expect, it } from 'vitest';
import {
  decideVerdict,
  DEFAULT_AUDIT_POLICY,
  policyWeaknesses,
  strictestPolicy,
  type AuditFigures,
} from './audit-policy.js';

/** Figures with one attack per entry `[low, high, powerLimit]` and a memorised share of n samples against a 5 % baseline. */
function figures(attacks: [number, number, number][], memorisedShare = 0.04, syntheticSamples = 200): AuditFigures {
  const names = ['nearest-neighbour', 'reference-ratio'] as const;
  return {
    attacks: attacks.map(([low, high, powerLimit], i) => ({
      name: names[i]!,
      auc: (low + high) / 2,
      low,
      high,
      powerLimit,
    })),
    memorisedShare,
    memorisedBaseline: 0.05,
    syntheticSamples,
  };
}

describe('the verdict by rule (τ = 0.60)', () => {
  it('PASS: every upper bound within τ and no memorisation', () => {
    const decision = decideVerdict(
      figures([
        [0.44, 0.58, 0.57],
        [0.45, 0.6, 0.56],
      ]),
      DEFAULT_AUDIT_POLICY,
    );
    expect(decision.verdict).toBe('pass');
    expect(decision.attacks.map((a) => a.verdict)).toEqual(['pass', 'pass']);
    expect(decision.reason).toMatch(/^Every attack stays under τ = 0.60/);
  });

  it('FAIL: a lower bound above τ with the AUC beyond what chance reaches is a demonstrated leak', () => {
    const decision = decideVerdict(
      figures([
        [0.64, 0.81, 0.7],
        [0.45, 0.55, 0.56],
      ]),
      DEFAULT_AUDIT_POLICY,
    );
    expect(decision.verdict).toBe('fail');
    expect(decision.reason).toBe(
      'The nearest-neighbour attack tells members from holdout speakers: AUC 0.73 [0.64, 0.81], lower bound above τ = 0.60 and the AUC above what chance reaches (0.70): a demonstrated leak.',
    );
  });

  it('INCONCLUSIVE, not a leak: a lower bound above τ that chance alone reaches (one holdout speaker: the bootstrap cannot vary it)', () => {
    const decision = decideVerdict(figures([[0.63, 0.71, 0.89]]), DEFAULT_AUDIT_POLICY);
    expect(decision.verdict).toBe('inconclusive');
  });

  it('FAIL: memorisation demonstrated above the baseline plus the allowed excess, even when every attack passes', () => {
    const decision = decideVerdict(figures([[0.44, 0.58, 0.57]], 0.2, 200), DEFAULT_AUDIT_POLICY);
    expect(decision.verdict).toBe('fail');
    expect(decision.memorisationPassed).toBe(false);
    // Clopper–Pearson 95 % for 40 of 200: [0.1469, 0.2622]
    expect(decision.memorisedInterval[0]).toBeCloseTo(0.1469, 3);
    expect(decision.memorisedInterval[1]).toBeCloseTo(0.2622, 3);
    expect(decision.reason).toMatch(
      /^20.0 % \[14.7, 26.2\] of synthetic samples .* limit of 7.0 %: the generator copies records\.$/,
    );
  });

  it('memorisation within chance of the limit is no failure: 4 of 40 samples (10 %) against a 7 % limit', () => {
    const decision = decideVerdict(figures([[0.44, 0.58, 0.57]], 0.1, 40), DEFAULT_AUDIT_POLICY);
    expect(decision.memorisationPassed).toBe(true);
    expect(decision.verdict).toBe('pass');
  });

  it('INCONCLUSIVE: the interval straddles τ and chance alone reaches above τ with this holdout', () => {
    const decision = decideVerdict(
      figures([
        [0.5, 0.85, 0.84],
        [0.45, 0.58, 0.7],
      ]),
      DEFAULT_AUDIT_POLICY,
    );
    expect(decision.verdict).toBe('inconclusive');
    expect(decision.reason).toMatch(/power limit above τ = 0.60\): too few holdout speakers to pass anything\.$/);
  });

  it('FAIL: the interval straddles τ although this holdout could show a pass', () => {
    const decision = decideVerdict(figures([[0.52, 0.66, 0.57]]), DEFAULT_AUDIT_POLICY);
    expect(decision.verdict).toBe('fail');
    expect(decision.reason).toMatch(/a leak is not ruled out\.$/);
  });

  it('the worst attack counts: one inconclusive and one demonstrated leak fail', () => {
    const decision = decideVerdict(
      figures([
        [0.5, 0.85, 0.84],
        [0.62, 0.7, 0.64],
      ]),
      DEFAULT_AUDIT_POLICY,
    );
    expect(decision.verdict).toBe('fail');
    expect(decision.attacks.map((a) => a.verdict)).toEqual(['inconclusive', 'fail']);
  });
});

describe('the federation policy', () => {
  it('names every way a policy is weaker than the required one, and nothing when it is as strict or stricter', () => {
    const weaker = {
      maxMembershipAuc: 0.7,
      maxMemorisationExcess: 0.05,
      confidenceLevel: 0.9,
      permutations: 200,
      attacks: ['nearest-neighbour' as const],
    };
    expect(policyWeaknesses(weaker, DEFAULT_AUDIT_POLICY)).toEqual([
      "τ 0.7 is above the federation's 0.6",
      "memorisation excess 0.05 is above the federation's 0.02",
      "confidence level 0.9 is below the federation's 0.95",
      "200 permutations are fewer than the federation's 1000",
      'required attacks not run: reference-ratio',
    ]);
    const stricter = { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 0.55, permutations: 2000 };
    expect(policyWeaknesses(stricter, DEFAULT_AUDIT_POLICY)).toEqual([]);
  });

  it('takes the stricter of two policies field by field, with every attack either names', () => {
    const site = {
      ...DEFAULT_AUDIT_POLICY,
      maxMembershipAuc: 0.55,
      permutations: 500,
      attacks: ['nearest-neighbour' as const],
    };
    expect(strictestPolicy(site, DEFAULT_AUDIT_POLICY)).toEqual({
      ...DEFAULT_AUDIT_POLICY,
      maxMembershipAuc: 0.55,
      permutations: 1000,
      attacks: ['nearest-neighbour', 'reference-ratio'],
    });
  });
});
