import { canonicalBytes, verifyBytes } from '../crypto/signing.js';

/** What a site signs after a privacy audit: the figures the release gate needs, never data. */
export interface AttestationBody {
  readonly kind: 'emodistill-audit-attestation';
  readonly version: 1;
  /** sha256 (hex) of the audited generator bundle file, or of the synthetic set file. */
  readonly subjectSha256: string;
  readonly subject: string;
  readonly passed: boolean;
  readonly checks: readonly { readonly name: string; readonly value: number; readonly threshold: number; readonly passed: boolean }[];
  readonly createdAt: string;
  readonly sitePublicKey: string;
}

export interface Attestation {
  readonly body: AttestationBody;
  /** Ed25519 over canonicalBytes(body), base64. */
  readonly signature: string;
}

/** True only for an untampered attestation signed by the key it names (compare that key with your allow-list). */
export function verifyAttestation(attestation: Attestation): boolean {
  return verifyBytes(canonicalBytes(attestation.body), attestation.signature, attestation.body.sitePublicKey);
}
