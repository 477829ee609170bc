import { Type, type TSchema } from '@sinclair/typebox';
import { ATTESTATION_VERSION, type Attestation } from './attestation.js';
import { Value } from '@sinclair/typebox/value';
import { checkRoundPlan, type RoundPlan } from './round-plan.js';

/** Header a site signs over canonical bytes when it uploads a generator update Δ = w_local − w_global. */
export interface UpdateHeader {
  readonly siteId: string;
  readonly round: number;
  readonly baseVersion: number;
  readonly numExamples: number;
  /** sha256 (hex) of the payload: the update as a safetensors file. */
  readonly sha256: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** Random per upload; a repeated nonce is a replay. */
  readonly nonce: string;
  /** ISO-8601 time of signing. */
  readonly time: string;
}

/** A signed update envelope as it arrives (the payload travels separately as binary). */
export interface SignedUpdate {
  readonly header: UpdateHeader;
  /** Ed25519 over canonicalBytes(header), base64. */
  readonly signature: string;
}

/**
 * Round announcement the coordinator signs; sites verify it against the pinned coordinator key.
 * A `statistics` round (the first) collects per-site feature moments; a `training` round starts
 * from global version `baseVersion`, whose bundle bytes hash to `baseSha256`.
 */
export interface RoundAnnouncement {
  readonly round: number;
  readonly kind: 'statistics' | 'training';
  readonly baseVersion: number;
  /** sha256 (hex) of the base version's bundle; empty in a statistics round (there is none yet). */
  readonly baseSha256: string;
  /** What each site trains in a training round (in a statistics round too, though unused there). */
  readonly plan: RoundPlan;
  readonly deadline: string;
}

/** Any coordinator message, signed over canonicalBytes(body) with the coordinator's key. */
export interface Signed<T> {
  readonly body: T;
  readonly signature: string;
}

/** A site's notice that it cannot deliver an update for a round (e.g. its data does not fit the model). */
export interface RoundFailed {
  readonly round: number;
  readonly reason: string;
}

/** Sent when the planned rounds are done: the final version and its bundle's sha256. */
export interface FederationFinished {
  readonly version: number;
  readonly sha256: string;
}

/**
 * Proof of identity on an HTTP request or a socket.io handshake, signed over canonicalBytes of
 * every field but `signature`. `role: 'admin'` names the operator by public key (base64) in `id`.
 */
export interface RequestAuth {
  readonly role: 'site' | 'admin';
  readonly id: string;
  readonly method: string;
  readonly path: string;
  /** sha256 (hex) of the request body ('' hashed when there is none). */
  readonly bodySha256: string;
  readonly time: string;
  readonly nonce: string;
  readonly signature: string;
}

const UpdateHeaderSchema = Type.Object(
  {
    siteId: Type.String({ minLength: 1, maxLength: 128 }),
    round: Type.Integer({ minimum: 0 }),
    baseVersion: Type.Integer({ minimum: 0 }),
    numExamples: Type.Integer({ minimum: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    metrics: Type.Record(Type.String(), Type.Number()),
    nonce: Type.String({ minLength: 16, maxLength: 128 }),
    time: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

const SCHEMAS = {
  signedUpdate: Type.Object(
    { header: UpdateHeaderSchema, signature: Type.String({ minLength: 1, maxLength: 256 }) },
    { additionalProperties: false },
  ),
  signedAnnouncement: signed(
    Type.Object(
      {
        round: Type.Integer({ minimum: 0 }),
        kind: Type.Union([Type.Literal('statistics'), Type.Literal('training')]),
        baseVersion: Type.Integer({ minimum: 0 }),
        baseSha256: Type.String({ pattern: '^([0-9a-f]{64})?$' }),
        // Checked by checkRoundPlan after the envelope, so a plan version the site does not know is named as such.
        plan: Type.Unknown(),
        deadline: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
  ),
  signedFinished: signed(
    Type.Object(
      { version: Type.Integer({ minimum: 0 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
      { additionalProperties: false },
    ),
  ),
  attestation: Type.Object(
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
  ),
  roundFailed: Type.Object(
    { round: Type.Integer({ minimum: 0 }), reason: Type.String({ maxLength: 1000 }) },
    { additionalProperties: false },
  ),
  requestAuth: Type.Object(
    {
      role: Type.Union([Type.Literal('site'), Type.Literal('admin')]),
      id: Type.String({ minLength: 1, maxLength: 128 }),
      method: Type.String({ minLength: 1, maxLength: 16 }),
      path: Type.String({ minLength: 1, maxLength: 1024 }),
      bodySha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      time: Type.String({ minLength: 1, maxLength: 64 }),
      nonce: Type.String({ minLength: 16, maxLength: 128 }),
      signature: Type.String({ minLength: 1, maxLength: 256 }),
    },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

function signed<T extends TSchema>(body: T) {
  return Type.Object(
    { body, signature: Type.String({ minLength: 1, maxLength: 256 }) },
    { additionalProperties: false },
  );
}

interface MessageTypes {
  signedUpdate: SignedUpdate;
  signedAnnouncement: Signed<RoundAnnouncement>;
  signedFinished: Signed<FederationFinished>;
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
