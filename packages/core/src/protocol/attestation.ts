import { canonicalBytes, verifyBytes } from '../crypto/signing.js';

/** The attestation format this release makes and accepts. */
export const ATTESTATION_VERSION = 2 as const;

/**
 * What a site signs after a privacy audit: the figures the release gate needs, never data.
 * Version 2 names its subject by hash only: version 1 also carried `subject`, the audited file's
 * path on the site's machine, which the released bundle then published.
 */
export interface AttestationBody {
  readonly kind: 'emodistill-audit-attestation';
  readonly version: typeof ATTESTATION_VERSION;
  /** sha256 (hex) of the audited generator bundle file, or of the synthetic set file: the only name of the subject. */
  readonly subjectSha256: string;
  readonly passed: boolean;
  readonly checks: readonly {
    readonly name: string;
    readonly value: number;
    readonly threshold: number;
    readonly passed: boolean;
  }[];
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
