import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  checkMessage,
  createRng,
  generateKeyPair,
  selectBackend,
  signBytes,
  type FeatureSet,
} from '@emodistill/core';
import { corpus } from '../test/fixtures.js';
import { signAttestation, verifyAttestation } from './attestation.js';
import { runAudit } from './audit.js';
import { PRIVACY_AUDIT_ERRORS, PrivacyAuditError } from './errors.js';
import { evaluateGate } from './gate.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('runAudit', () => {
  it('fails the gate for a leaky generator that emits member records plus small noise', () => {
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
    expect(report.gate.passed).toBe(false);
    expect(report.summary.at(-1)).toContain('FAIL');
    expect(JSON.parse(JSON.stringify(report)).version).toBe(1);
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

describe('attestations', () => {
  it('verify when untouched and not when a figure, the verdict or the signer changes', () => {
    // arrange
    const keys = generateKeyPair();
    const gate = evaluateGate({ membershipAucUpper: 0.55, memorisationShare: 0.04, memorisationBaseline: 0.05 });
    const report = {
      subject: 'gen.bundle',
      createdAt: '2026-01-01T00:00:00Z',
      gate: { ...gate, config: { maxMembershipAucUpper: 0.6, maxMemorisationExcess: 0.02 } },
    } as unknown as Parameters<typeof signAttestation>[0];

    // act
    const attestation = signAttestation(report, 'ab'.repeat(32), keys);

    // assert
    expect(attestation.body.passed).toBe(true);
    expect(verifyAttestation(attestation)).toBe(true);
    expect(verifyAttestation({ ...attestation, body: { ...attestation.body, passed: false } })).toBe(false);
    expect(
      verifyAttestation({
        ...attestation,
        body: {
          ...attestation.body,
          checks: [{ ...attestation.body.checks[0]!, value: 0.5 }, attestation.body.checks[1]!],
        },
      }),
    ).toBe(false);
    const forger = generateKeyPair();
    const forged = signAttestation(report, 'ab'.repeat(32), forger);
    expect(
      verifyAttestation({ ...forged, body: { ...forged.body, sitePublicKey: attestation.body.sitePublicKey } }),
    ).toBe(false);
    expect(verifyAttestation({ ...attestation, body: { ...attestation.body, subjectSha256: 'cd'.repeat(32) } })).toBe(
      false,
    );
  });

  it('name the audited file by its sha256 only, never by a path of the auditing machine (version 2)', () => {
    // arrange
    const keys = generateKeyPair();
    const gate = evaluateGate({ membershipAucUpper: 0.55, memorisationShare: 0.04, memorisationBaseline: 0.05 });
    const report = {
      subject: '/home/alice/federation/site-1/global.bundle',
      createdAt: '2026-01-01T00:00:00Z',
      gate: { ...gate, config: { maxMembershipAucUpper: 0.6, maxMemorisationExcess: 0.02 } },
    } as unknown as Parameters<typeof signAttestation>[0];

    // act
    const attestation = signAttestation(report, 'ab'.repeat(32), keys);
    const { subjectSha256: _, ...v1Fields } = attestation.body;
    const v1Body = { ...v1Fields, version: 1, subjectSha256: 'ab'.repeat(32), subject: report.subject };
    const v1 = { body: v1Body, signature: signBytes(canonicalBytes(v1Body), keys.secretKey) };

    // assert
    expect(Object.keys(attestation.body).sort()).toEqual([
      'checks',
      'createdAt',
      'kind',
      'passed',
      'sitePublicKey',
      'subjectSha256',
      'version',
    ]);
    expect(attestation.body).toMatchObject({
      kind: 'emodistill-audit-attestation',
      version: 2,
      subjectSha256: 'ab'.repeat(32),
    });
    const json = JSON.stringify(attestation);
    expect(json).not.toContain('/home/alice');
    expect(json).not.toContain('global.bundle');
    expect(checkMessage('attestation', attestation).ok).toBe(true);
    expect(checkMessage('attestation', v1).ok).toBe(false);
    expect(
      checkMessage('attestation', { ...v1, body: { ...v1Fields, version: 1, subjectSha256: 'ab'.repeat(32) } }).ok,
    ).toBe(false);
  });
});
