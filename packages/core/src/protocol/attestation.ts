import {
  Type,
  type Static,
  type TArray,
  type TBoolean,
  type TLiteral,
  type TNumber,
  type TObject,
  type TString,
} from '@sinclair/typebox';
import { canonicalBytes, verifyBytes } from '../crypto/signing.js';

/** The attestation format this release makes and accepts. */
export const ATTESTATION_VERSION = 2 as const;

/**
 * What a site signs after a privacy audit: the figures the release gate needs, never data.
 * Version 2 names its subject by hash only (`subjectSha256`: of the audited generator bundle file,
 * or of the synthetic set file): version 1 also carried `subject`, the audited file's path on the
 * site's machine, which the released bundle then published. `signature` is Ed25519 over
 * canonicalBytes(body), base64.
 */
export const AttestationSchema: TObject<{
  body: TObject<{
    kind: TLiteral<'emodistill-audit-attestation'>;
    version: TLiteral<typeof ATTESTATION_VERSION>;
    subjectSha256: TString;
    passed: TBoolean;
    checks: TArray<TObject<{ name: TString; value: TNumber; threshold: TNumber; passed: TBoolean }>>;
    createdAt: TString;
    sitePublicKey: TString;
  }>;
  signature: TString;
}> = Type.Object(
  {
    body: Type.Object(
      {
        kind: Type.Literal('emodistill-audit-attestation'),
        version: Type.Literal(ATTESTATION_VERSION),
        subjectSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        passed: Type.Boolean(),
        checks: Type.Array(
          Type.Object(
            {
              name: Type.String({ maxLength: 128 }),
              value: Type.Number(),
              threshold: Type.Number(),
              passed: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
          { maxItems: 64 },
        ),
        createdAt: Type.String({ maxLength: 64 }),
        sitePublicKey: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
    signature: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export type Attestation = Readonly<Static<typeof AttestationSchema>>;
export type AttestationBody = Attestation['body'];

/** True only for an untampered attestation signed by the key it names (compare that key with your allow-list). */
export function verifyAttestation(attestation: Attestation): boolean {
  return verifyBytes(canonicalBytes(attestation.body), attestation.signature, attestation.body.sitePublicKey);
}
