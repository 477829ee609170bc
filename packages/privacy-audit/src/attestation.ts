import { canonicalBytes, encodeKey, signBytes, verifyAttestation, type Attestation, type AttestationBody, type KeyPair } from '@emodistill/core';
import type { AuditReport } from './audit.js';

export function signAttestation(report: AuditReport, subjectSha256: string, keys: KeyPair): Attestation {
  const body: AttestationBody = {
    kind: 'emodistill-audit-attestation',
    version: 1,
    subjectSha256,
    subject: report.subject,
    passed: report.gate.passed,
    checks: report.gate.checks.map(({ name, value, threshold, passed }) => ({ name, value, threshold, passed })),
    createdAt: report.createdAt,
    sitePublicKey: encodeKey(keys.publicKey),
  };
  return { body, signature: signBytes(canonicalBytes(body), keys.secretKey) };
}

export { verifyAttestation };
export type { Attestation, AttestationBody };
