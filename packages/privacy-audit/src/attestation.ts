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
 * Signs the release-gate figures of an audit. The subject is named by its sha256 only (no path or
 * file name of the auditing machine), since the coordinator publishes attestations in the release.
 */
export function signAttestation(report: AuditReport, subjectSha256: string, keys: KeyPair): Attestation {
  const body: AttestationBody = {
    kind: 'emodistill-audit-attestation',
    version: ATTESTATION_VERSION,
    subjectSha256,
    passed: report.gate.passed,
    checks: report.gate.checks.map(({ name, value, threshold, passed }) => ({ name, value, threshold, passed })),
    createdAt: report.createdAt,
    sitePublicKey: encodeKey(keys.publicKey),
  };
  return { body, signature: signBytes(canonicalBytes(body), keys.secretKey) };
}

export { verifyAttestation };
export type { Attestation, AttestationBody };
