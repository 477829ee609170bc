import { describe, expect, it } from 'vitest';
import { decideVerdict, DEFAULT_AUDIT_POLICY, type Attestation, type AuditFigures } from '@emodistill/core/federation';
import { currentAttestations, judgeRelease, type StoredAttestation } from './release-gate.js';

/** Figures that pass under the default policy: AUC 0.5 [0.45, 0.56] under τ = 0.6. */
const PASSING: AuditFigures = {
  attacks: [
    { name: 'nearest-neighbour', auc: 0.5, low: 0.45, high: 0.56, powerLimit: 0.55 },
    { name: 'reference-ratio', auc: 0.5, low: 0.45, high: 0.56, powerLimit: 0.55 },
  ],
  memorisedShare: 0.04,
  memorisedBaseline: 0.05,
  syntheticSamples: 200,
};

/** A stored attestation (the gate judges bodies; signatures were verified when it was recorded). */
function stored(siteId: string, figures: AuditFigures = PASSING): StoredAttestation {
  const decision = decideVerdict(figures, DEFAULT_AUDIT_POLICY);
  const attestation: Attestation = {
    body: {
      kind: 'emodistill-audit-attestation',
      version: 3,
      subjectSha256: 'a'.repeat(64),
      verdict: decision.verdict,
      reason: decision.reason,
      policy: DEFAULT_AUDIT_POLICY,
      figures,
      counts: { memberSpeakers: 6, memberUtterances: 60, holdoutSpeakers: 4, holdoutUtterances: 40, synthetic: 200 },
      createdAt: '2030-01-01T00:00:00.000Z',
      sitePublicKey: 'k'.repeat(44),
    },
    signature: 's',
  };
  return { siteId, attestation };
}

describe('judgeRelease', () => {
  it('grants the release only when every trainer attested PASS, and says why each other site holds it back', () => {
    // arrange
    const failing: AuditFigures = {
      ...PASSING,
      attacks: PASSING.attacks.map((a) => ({ ...a, auc: 0.75, low: 0.66, high: 0.84, powerLimit: 0.6 })),
    };

    // act
    const granted = judgeRelease(['a', 'b'], [stored('a'), stored('b')], DEFAULT_AUDIT_POLICY);
    const blocked = judgeRelease(
      ['a', 'b', 'c'],
      [stored('a'), stored('b', failing), stored('x')],
      DEFAULT_AUDIT_POLICY,
    );

    // assert
    expect(granted.granted).toBe(true);
    expect(granted.sites.map((s) => [s.siteId, s.blocking, s.attestation?.verdict])).toEqual([
      ['a', null, 'pass'],
      ['b', null, 'pass'],
    ]);
    expect(blocked.granted).toBe(false);
    expect(blocked.sites.map((s) => s.siteId)).toEqual(['a', 'b', 'c']);
    expect(blocked.sites[1]!.blocking).toMatch(/^b \(FAIL: /);
    expect(blocked.sites[2]).toEqual({
      siteId: 'c',
      attestation: null,
      policyProblems: [],
      blocking: 'c (no attestation)',
    });
  });

  it('judges a stored attestation again under a policy tightened since: it no longer counts, and says why', () => {
    // act
    const { granted, sites } = judgeRelease(['a'], [stored('a')], { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 0.55 });

    // assert
    expect(granted).toBe(false);
    expect(sites[0]!.policyProblems).toEqual([expect.stringMatching(/τ 0.6 is above the federation's 0.55/)]);
    expect(sites[0]!.blocking).toMatch(/^a \(refused under the current policy: τ 0.6/);
  });

  it('leaves out attestations of an older format (they are neither judged nor published)', () => {
    // arrange
    const old = stored('b');
    const v1 = { ...old, attestation: { ...old.attestation, body: { ...old.attestation.body, version: 1 } } };

    // act
    const current = currentAttestations([stored('a'), v1 as unknown as StoredAttestation]);

    // assert
    expect(current.map((a) => a.siteId)).toEqual(['a']);
  });
});
