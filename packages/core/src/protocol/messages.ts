import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

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

/** Round announcement the coordinator signs; sites verify it against the pinned coordinator key. */
export interface RoundAnnouncement {
  readonly round: number;
  readonly baseVersion: number;
  /** Local training settings for this round (distill options). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly deadline: string;
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
  signedUpdate: Type.Object({ header: UpdateHeaderSchema, signature: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
  roundAnnouncement: Type.Object(
    { round: Type.Integer({ minimum: 0 }), baseVersion: Type.Integer({ minimum: 0 }), config: Type.Record(Type.String(), Type.Unknown()), deadline: Type.String({ minLength: 1, maxLength: 64 }) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

interface MessageTypes {
  signedUpdate: SignedUpdate;
  roundAnnouncement: RoundAnnouncement;
}

/**
 * Validates a received message against its schema (both sides use the same ones).
 * @returns the typed message, or a readable reason naming the first bad field
 */
export function checkMessage<K extends keyof MessageTypes>(kind: K, value: unknown): { ok: true; message: MessageTypes[K] } | { ok: false; reason: string } {
  const schema: TSchema = SCHEMAS[kind];
  if (Value.Check(schema, value)) return { ok: true, message: value as MessageTypes[K] };
  const first = Value.Errors(schema, value).First();
  return { ok: false, reason: `${kind} field ${first?.path || '/'}: ${first?.message ?? 'invalid'}` };
}
