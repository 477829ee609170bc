import {
  ATTESTATION_VERSION,
  canonicalBytes,
  encodeKey,
  signBytes,
  verifyAttestation,
  type Attestation,
  type AttestationBody,
  type KeyPair,
} from '@emodistill/core';
import type { AuditReport } from './audit.js';

/**
 * Signs an audit's verdict with the policy, figures and counts it rests on. The subject is named by
 * its sha256 only (no path or file name of the auditing machine), since the coordinator publishes
 * attestations in the release.
 * @param trainingPrivacy the audited generator's DP guarantee, when its training had one
 */
export function signAttestation(
  report: AuditReport,
  subjectSha256: string,
  keys: KeyPair,
  trainingPrivacy?: AttestationBody['trainingPrivacy'],
): Attestation {
  const { counts, verdict } = report;
  const body: AttestationBody = {
    kind: 'emodistill-audit-attestation',
    version: ATTESTATION_VERSION,
    subjectSha256,
    verdict: verdict.verdict,
    reason: verdict.reason.slice(0, 2000),
    policy: verdict.policy,
    figures: verdict.figures,
    counts: {
      memberSpeakers: counts.memberSpeakers,
      memberUtterances: counts.memberUtterances,
      holdoutSpeakers: counts.holdoutSpeakers,
      holdoutUtterances: counts.holdoutUtterances,
      synthetic: counts.synthetic,
    },
    ...(trainingPrivacy && { trainingPrivacy }),
    createdAt: report.createdAt,
    sitePublicKey: encodeKey(keys.publicKey),
  };
  return { body, signature: signBytes(canonicalBytes(body), keys.secretKey) };
}

export { verifyAttestation };
export type { Attestation, AttestationBody };
