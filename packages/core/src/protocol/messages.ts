import {
  Type,
  type Static,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TObject,
  type TRecord,
  type TSchema,
  type TString,
  type TUnion,
  type TUnknown,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AttestationSchema, type Attestation } from './attestation.js';
import { AuditPolicySchema } from './audit-policy.js';
import { checkRoundPlan, type RoundPlan } from './round-plan.js';

/**
 * The federation's messages: each schema is what a receiver checks, and each type is derived from
 * its schema. (The schemas' types are spelled out because exported values declare their types.)
 */

/** Header a site signs over canonical bytes when it uploads a generator update Δ = w_local − w_global. */
export const UpdateHeaderSchema: TObject<{
  siteId: TString;
  round: TInteger;
  baseVersion: TInteger;
  numExamples: TInteger;
  sha256: TString;
  metrics: TRecord<TString, TNumber>;
  nonce: TString;
  time: TString;
}> = Type.Object(
  {
    siteId: Type.String({ minLength: 1, maxLength: 128 }),
    round: Type.Integer({ minimum: 0 }),
    baseVersion: Type.Integer({ minimum: 0 }),
    numExamples: Type.Integer({ minimum: 1 }),
    /** sha256 (hex) of the payload: the update as a safetensors file. */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    metrics: Type.Record(Type.String(), Type.Number()),
    /** Random per upload; a repeated nonce is a replay. */
    nonce: Type.String({ minLength: 16, maxLength: 128 }),
    /** ISO-8601 time of signing. */
    time: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type UpdateHeader = Readonly<Static<typeof UpdateHeaderSchema>>;

/** A signed update envelope as it arrives (the payload travels separately as binary). */
export const SignedUpdateSchema: TObject<{ header: typeof UpdateHeaderSchema; signature: TString }> = Type.Object(
  {
    header: UpdateHeaderSchema,
    /** Ed25519 over canonicalBytes(header), base64. */
    signature: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type SignedUpdate = Readonly<Static<typeof SignedUpdateSchema>>;

/**
 * Round announcement the coordinator signs; sites verify it against the pinned coordinator key.
 * A `statistics` round (the first) collects per-site feature moments; a `training` round starts
 * from global version `baseVersion`, whose bundle bytes hash to `baseSha256`.
 */
export const RoundAnnouncementSchema: TObject<{
  round: TInteger;
  kind: TUnion<[TLiteral<'statistics'>, TLiteral<'training'>]>;
  baseVersion: TInteger;
  baseSha256: TString;
  plan: TUnknown;
  deadline: TString;
}> = Type.Object(
  {
    round: Type.Integer({ minimum: 0 }),
    kind: Type.Union([Type.Literal('statistics'), Type.Literal('training')]),
    baseVersion: Type.Integer({ minimum: 0 }),
    /** sha256 (hex) of the base version's bundle; empty in a statistics round (there is none yet). */
    baseSha256: Type.String({ pattern: '^([0-9a-f]{64})?$' }),
    /**
     * What each site trains (in a statistics round too, though unused there). Checked by
     * checkRoundPlan after the envelope, so a plan version the site does not know is named as such.
     */
    plan: Type.Unknown(),
    deadline: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type RoundAnnouncement = Readonly<Omit<Static<typeof RoundAnnouncementSchema>, 'plan'> & { plan: RoundPlan }>;

/** Any coordinator message, signed over canonicalBytes(body) with the coordinator's key. */
export interface Signed<T> {
  readonly body: T;
  readonly signature: string;
}
function signed<T extends TSchema>(body: T): TObject<{ body: T; signature: TString }> {
  return Type.Object(
    { body, signature: Type.String({ minLength: 1, maxLength: 256 }) },
    { additionalProperties: false },
  );
}

/** A site's notice that it cannot deliver an update for a round (e.g. its data does not fit the model). */
export const RoundFailedSchema: TObject<{ round: TInteger; reason: TString }> = Type.Object(
  { round: Type.Integer({ minimum: 0 }), reason: Type.String({ maxLength: 1000 }) },
  { additionalProperties: false },
);
export type RoundFailed = Readonly<Static<typeof RoundFailedSchema>>;

/** Sent when the planned rounds are done: the final version and its bundle's sha256. */
export const FederationFinishedSchema: TObject<{ version: TInteger; sha256: TString }> = Type.Object(
  { version: Type.Integer({ minimum: 0 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
  { additionalProperties: false },
);
export type FederationFinished = Readonly<Static<typeof FederationFinishedSchema>>;

/** The federation's audit policy, as the coordinator serves it signed (`GET /release-policy`) to sites that audit. */
export const ReleasePolicySchema: TObject<{
  kind: TLiteral<'emodistill-release-policy'>;
  policy: typeof AuditPolicySchema;
}> = Type.Object(
  { kind: Type.Literal('emodistill-release-policy'), policy: AuditPolicySchema },
  { additionalProperties: false },
);
export type ReleasePolicy = Readonly<Static<typeof ReleasePolicySchema>>;

/**
 * Proof of identity on an HTTP request or a socket.io handshake, signed over canonicalBytes of
 * every field but `signature`. `role: 'admin'` names the operator by public key (base64) in `id`.
 */
export const RequestAuthSchema: TObject<{
  role: TUnion<[TLiteral<'site'>, TLiteral<'admin'>]>;
  id: TString;
  method: TString;
  path: TString;
  bodySha256: TString;
  time: TString;
  nonce: TString;
  signature: TString;
}> = Type.Object(
  {
    role: Type.Union([Type.Literal('site'), Type.Literal('admin')]),
    id: Type.String({ minLength: 1, maxLength: 128 }),
    method: Type.String({ minLength: 1, maxLength: 16 }),
    path: Type.String({ minLength: 1, maxLength: 1024 }),
    /** sha256 (hex) of the request body ('' hashed when there is none). */
    bodySha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    time: Type.String({ minLength: 1, maxLength: 64 }),
    nonce: Type.String({ minLength: 16, maxLength: 128 }),
    signature: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type RequestAuth = Readonly<Static<typeof RequestAuthSchema>>;

const SCHEMAS = {
  signedUpdate: SignedUpdateSchema,
  signedAnnouncement: signed(RoundAnnouncementSchema),
  signedFinished: signed(FederationFinishedSchema),
  signedReleasePolicy: signed(ReleasePolicySchema),
  attestation: AttestationSchema,
  roundFailed: RoundFailedSchema,
  requestAuth: RequestAuthSchema,
} satisfies Record<string, TSchema>;

interface MessageTypes {
  signedUpdate: SignedUpdate;
  signedAnnouncement: Signed<RoundAnnouncement>;
  signedFinished: Signed<FederationFinished>;
  signedReleasePolicy: Signed<ReleasePolicy>;
  requestAuth: RequestAuth;
  roundFailed: RoundFailed;
  attestation: Attestation;
}

/**
 * Validates a received message against its schema (both sides use the same ones).
 * @returns the typed message, or a readable reason naming the first bad field
 */
export function checkMessage<K extends keyof MessageTypes>(
  kind: K,
  value: unknown,
): { ok: true; message: MessageTypes[K] } | { ok: false; reason: string } {
  const schema: TSchema = SCHEMAS[kind];
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    return { ok: false, reason: `${kind} field ${first?.path || '/'}: ${first?.message ?? 'invalid'}` };
  }
  if (kind === 'signedAnnouncement') {
    const plan = checkRoundPlan((value as Signed<{ plan: unknown }>).body.plan);
    if (!plan.ok) return plan;
  }
  return { ok: true, message: value as MessageTypes[K] };
}
