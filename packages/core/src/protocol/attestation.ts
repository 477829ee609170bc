import {
  Type,
  type Static,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TObject,
  type TOptional,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { canonicalBytes, verifyBytes } from '../crypto/signing.js';
import {
  AuditFiguresSchema,
  AuditPolicySchema,
  decideVerdict,
  policyWeaknesses,
  type AuditPolicy,
  type Verdict,
} from './audit-policy.js';

/** The attestation format this release makes and accepts. */
export const ATTESTATION_VERSION = 3 as const;

/**
 * What a site signs after a privacy audit: its verdict, the policy it audited under, the figures the
 * verdict follows from and the audit's size — never data. Version 3 (the calibrated audit) replaces
 * version 2's pass/fail checks with a verdict (pass, fail or inconclusive) that the coordinator can
 * re-derive from the figures. The subject is named by hash only (`subjectSha256`: of the audited
 * generator bundle file, or of the synthetic set file). `signature` is Ed25519 over
 * canonicalBytes(body), base64.
 */
export const AttestationSchema: TObject<{
  body: TObject<{
    kind: TLiteral<'emodistill-audit-attestation'>;
    version: TLiteral<typeof ATTESTATION_VERSION>;
    subjectSha256: TString;
    verdict: TUnion<[TLiteral<'pass'>, TLiteral<'fail'>, TLiteral<'inconclusive'>]>;
    reason: TString;
    policy: typeof AuditPolicySchema;
    figures: typeof AuditFiguresSchema;
    counts: TObject<{
      memberSpeakers: TInteger;
      memberUtterances: TInteger;
      holdoutSpeakers: TInteger;
      holdoutUtterances: TInteger;
      synthetic: TInteger;
    }>;
    trainingPrivacy: TOptional<
      TObject<{ accountant: TString; delta: TNumber; epsilonUtterance: TNumber; epsilonSpeaker: TNumber }>
    >;
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
        verdict: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('inconclusive')]),
        reason: Type.String({ maxLength: 2000 }),
        policy: AuditPolicySchema,
        figures: AuditFiguresSchema,
        counts: Type.Object(
          {
            memberSpeakers: Type.Integer({ minimum: 0 }),
            memberUtterances: Type.Integer({ minimum: 0 }),
            holdoutSpeakers: Type.Integer({ minimum: 0 }),
            holdoutUtterances: Type.Integer({ minimum: 0 }),
            synthetic: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
        /** The audited generator's differential-privacy guarantee, when its training had one. */
        trainingPrivacy: Type.Optional(
          Type.Object(
            {
              accountant: Type.String({ maxLength: 128 }),
              delta: Type.Number({ minimum: 0, maximum: 1 }),
              epsilonUtterance: Type.Number({ minimum: 0 }),
              epsilonSpeaker: Type.Number({ minimum: 0 }),
            },
            { additionalProperties: false },
          ),
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

/**
 * Whether an attestation meets a federation's policy: audited with thresholds at least as strict
 * and every required attack run, and its verdict the one its own figures give by rule (a site
 * cannot sign PASS over failing figures). The site's verdict stands: under a stricter policy it is
 * never more lenient than the federation's would be.
 */
export function judgeAttestation(
  body: AttestationBody,
  required: AuditPolicy,
): { ok: true; verdict: Verdict } | { ok: false; reasons: string[] } {
  const reasons = policyWeaknesses(body.policy, required);
  const measured = new Set(body.figures.attacks.map((a) => a.name));
  const unmeasured = body.policy.attacks.filter((a) => !measured.has(a));
  if (unmeasured.length) reasons.push(`no figures for the attacks it names: ${unmeasured.join(', ')}`);
  if (reasons.length) return { ok: false, reasons };
  const derived = decideVerdict(body.figures, body.policy).verdict;
  if (derived !== body.verdict)
    return { ok: false, reasons: [`its verdict is ${body.verdict} but its figures give ${derived} by rule`] };
  return { ok: true, verdict: body.verdict };
}
