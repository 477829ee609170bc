import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  checkMessage,
  createRng,
  decideVerdict,
  DEFAULT_AUDIT_POLICY,
  generateKeyPair,
  judgeAttestation,
  selectBackend,
  signBytes,
  type AttestationBody,
  type AuditFigures,
  type FeatureSet,
} from '@emodistill/core';
import { corpus } from '../test/fixtures.js';
import { signAttestation, verifyAttestation } from './attestation.js';
import { runAudit, type AuditReport } from './audit.js';
import { PRIVACY_AUDIT_ERRORS, PrivacyAuditError } from './errors.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const speakerIds = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('runAudit', () => {
  it('FAILs a leaky generator that emits member records plus small noise', () => {
    // arrange
    const members = corpus(['a', 'b', 'c', 'd', 'e', 'f'], 16, 1);
    const holdout = corpus(['x', 'y', 'z', 'w'], 16, 2);
    const rng = createRng(3);
    const leaky: FeatureSet = {
      ...members,
      features: Float32Array.from(members.features, (v) => v + 0.01 * (rng.next() - 0.5)),
    };

    // act
    const report = runAudit(leaky, members, holdout, { subject: 'leaky', resamples: 200 });

    // assert
    expect(report.membership.nearestNeighbour.utteranceAuc.value).toBeGreaterThan(0.95);
    expect(report.memorisation.syntheticShareBelowHoldoutP5).toBeGreaterThan(0.9);
    expect(report.verdict.verdict).toBe('fail');
    expect(report.verdict.memorisationPassed).toBe(false);
    expect(report.verdict.reason).toMatch(/copies records/);
    expect(report.summary.at(-1)).toContain('FAIL');
    expect(JSON.parse(JSON.stringify(report)).version).toBe(2);
  });

  it('PASSes a null control (a generator that never saw these speakers) when the holdout has the power', () => {
    // arrange: 12 member and 12 holdout speakers; the null generator's samples are i.i.d. draws of unseen speakers
    const members = corpus(speakerIds('m', 12), 16, 1, 0.3);
    const holdout = corpus(speakerIds('h', 12), 16, 2, 0.3);
    const unseen = corpus(speakerIds('n', 160), 1, 3, 0.3);

    // act
    const report = runAudit(unseen, members, holdout, { subject: 'null control', resamples: 300 });

    // assert
    for (const attack of report.verdict.figures.attacks) expect(attack.powerLimit).toBeLessThan(0.6);
    expect(report.verdict.verdict).toBe('pass');
    expect(report.verdict.reason).toMatch(/^Every attack stays under τ = 0.60/);
  });

  it('calls a one-speaker holdout INCONCLUSIVE for the same null control, with its power limit and the speakers a pass needs', () => {
    // arrange
    const members = corpus(speakerIds('m', 4), 8, 1);
    const holdout = corpus(['h0'], 8, 2);
    const unseen = corpus(speakerIds('n', 40), 1, 3);

    // act
    const report = runAudit(unseen, members, holdout, { subject: 'small audit', resamples: 200 });

    // assert
    expect(report.verdict.verdict).toBe('inconclusive');
    expect(Math.max(...report.verdict.figures.attacks.map((a) => a.powerLimit))).toBeGreaterThan(0.6);
    expect(report.verdict.balancedSpeakersNeeded).toBeGreaterThan(4);
    expect(report.summary.at(-1)).toMatch(
      /^Verdict: INCONCLUSIVE\. .*too few holdout speakers to pass anything\. (A pass needs about \d+ holdout|No holdout is large enough)/,
    );
  });

  it('runs only the attacks its policy names', () => {
    // arrange
    const members = corpus(speakerIds('m', 3), 8, 1);
    const holdout = corpus(speakerIds('h', 3), 8, 2);
    const policy = { ...DEFAULT_AUDIT_POLICY, attacks: ['reference-ratio' as const], permutations: 200 };

    // act
    const report = runAudit(members, members, holdout, { subject: 'x', resamples: 50, policy });

    // assert
    expect(report.verdict.figures.attacks.map((a) => a.name)).toEqual(['reference-ratio']);
    expect(report.verdict.policy).toEqual(policy);
  });
});

describe('runAudit refuses, before any metric, sets it cannot audit', () => {
  it('a synthetic set without rows (AUDIT_SET_EMPTY)', () => {
    // arrange
    const members = corpus(['a', 'b'], 4, 1);
    const holdout = corpus(['x'], 4, 2);
    const empty: FeatureSet = {
      ...members,
      ids: [],
      speakers: [],
      emotions: [],
      sessions: [],
      features: new Float32Array(0),
    };

    // act
    const audit = (): unknown => runAudit(empty, members, holdout, { subject: 'empty', resamples: 10 });

    // assert
    expect(audit).toThrow(PrivacyAuditError);
    expect(audit).toThrow(
      expect.objectContaining({
        code: PRIVACY_AUDIT_ERRORS.emptySet,
        message: 'the synthetic set has no rows: nothing to audit',
      }),
    );
  });

  it('member data of a single speaker (TOO_FEW_MEMBER_SPEAKERS, naming it; was a tfjs oneHot error)', () => {
    // arrange
    const members = corpus(['a'], 8, 1);
    const holdout = corpus(['x'], 4, 2);

    // act
    const audit = (): unknown => runAudit(members, members, holdout, { subject: 'one speaker', resamples: 10 });

    // assert
    expect(audit).toThrow(
      expect.objectContaining({
        code: PRIVACY_AUDIT_ERRORS.tooFewMemberSpeakers,
        message: expect.stringMatching(
          /^the member set has a single speaker \(a\): the speaker-ID probes need at least 2/,
        ),
      }),
    );
  });
});

/** The part of a report an attestation signs, with chosen figures: the verdict follows from them by rule. */
function reportWith(figures: AuditFigures, subject = 'gen.bundle'): AuditReport {
  const policy = DEFAULT_AUDIT_POLICY;
  return {
    subject,
    createdAt: '2026-01-01T00:00:00Z',
    counts: { memberSpeakers: 20, memberUtterances: 400, holdoutSpeakers: 20, holdoutUtterances: 400, synthetic: 200 },
    verdict: { ...decideVerdict(figures, policy), policy, figures },
  } as unknown as AuditReport;
}

const passingFigures: AuditFigures = {
  attacks: [
    { name: 'nearest-neighbour', auc: 0.52, low: 0.45, high: 0.58, powerLimit: 0.56 },
    { name: 'reference-ratio', auc: 0.5, low: 0.44, high: 0.57, powerLimit: 0.55 },
  ],
  memorisedShare: 0.04,
  memorisedBaseline: 0.05,
  syntheticSamples: 200,
};

describe('attestations (version 3)', () => {
  it('carry the verdict, the policy, the figures and the audit size, and verify only untouched', () => {
    // arrange
    const keys = generateKeyPair();
    const privacy = { accountant: 'rdp', delta: 1e-5, epsilonUtterance: 3, epsilonSpeaker: 120 };

    // act
    const attestation = signAttestation(reportWith(passingFigures), 'ab'.repeat(32), keys, privacy);

    // assert
    expect(attestation.body).toMatchObject({
      version: 3,
      verdict: 'pass',
      policy: DEFAULT_AUDIT_POLICY,
      figures: passingFigures,
      counts: { holdoutSpeakers: 20, holdoutUtterances: 400 },
      trainingPrivacy: privacy,
    });
    expect(checkMessage('attestation', attestation).ok).toBe(true);
    expect(verifyAttestation(attestation)).toBe(true);
    const altered = (body: Partial<AttestationBody>): boolean =>
      verifyAttestation({ ...attestation, body: { ...attestation.body, ...body } });
    expect(altered({ verdict: 'fail' })).toBe(false);
    expect(altered({ policy: { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 0.7 } })).toBe(false);
    expect(altered({ figures: { ...passingFigures, memorisedShare: 0.01 } })).toBe(false);
    expect(altered({ subjectSha256: 'cd'.repeat(32) })).toBe(false);
    const forged = signAttestation(reportWith(passingFigures), 'ab'.repeat(32), generateKeyPair());
    expect(
      verifyAttestation({ ...forged, body: { ...forged.body, sitePublicKey: attestation.body.sitePublicKey } }),
    ).toBe(false);
  });

  it('name the audited file by its sha256 only, never by a path of the auditing machine; older versions are refused', () => {
    // arrange
    const keys = generateKeyPair();
    const report = reportWith(passingFigures, '/home/alice/federation/site-1/global.bundle');

    // act
    const attestation = signAttestation(report, 'ab'.repeat(32), keys);
    const v2Body = {
      kind: 'emodistill-audit-attestation',
      version: 2,
      subjectSha256: 'ab'.repeat(32),
      passed: true,
      checks: [],
      createdAt: attestation.body.createdAt,
      sitePublicKey: attestation.body.sitePublicKey,
    };
    const v2 = { body: v2Body, signature: signBytes(canonicalBytes(v2Body), keys.secretKey) };

    // assert
    const json = JSON.stringify(attestation);
    expect(json).not.toContain('/home/alice');
    expect(json).not.toContain('global.bundle');
    expect(checkMessage('attestation', v2).ok).toBe(false);
  });

  it('are judged against a federation policy: weaker thresholds, a dropped attack or a verdict its figures do not give are refused', () => {
    // arrange
    const keys = generateKeyPair();
    const body = signAttestation(reportWith(passingFigures), 'ab'.repeat(32), keys).body;
    const strict = { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 0.55 };

    // act
    const underOwn = judgeAttestation(body, DEFAULT_AUDIT_POLICY);
    const underStricter = judgeAttestation(body, strict);
    const droppedAttack = judgeAttestation(
      {
        ...body,
        policy: { ...body.policy, attacks: ['nearest-neighbour'] },
        figures: { ...passingFigures, attacks: [passingFigures.attacks[0]!] },
      },
      DEFAULT_AUDIT_POLICY,
    );
    const overclaimed = judgeAttestation(
      { ...body, figures: { ...passingFigures, memorisedShare: 0.2 } },
      DEFAULT_AUDIT_POLICY,
    );

    // assert
    expect(underOwn).toEqual({ ok: true, verdict: 'pass' });
    expect(underStricter).toEqual({ ok: false, reasons: ["τ 0.6 is above the federation's 0.55"] });
    expect(droppedAttack).toEqual({ ok: false, reasons: ['required attacks not run: reference-ratio'] });
    expect(overclaimed).toEqual({ ok: false, reasons: ['its verdict is pass but its figures give fail by rule'] });
  });
});
