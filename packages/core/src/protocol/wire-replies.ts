import {
  Type,
  type Static,
  type TArray,
  type TBoolean,
  type TInteger,
  type TLiteral,
  type TNull,
  type TObject,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * What the coordinator's HTTP API answers, in one place: the coordinator declares its routes'
 * replies with these schemas, and the admin client and the site agent read replies through them.
 */

export type ReplyCode =
  | 'MALFORMED'
  | 'TIME_OUT_OF_WINDOW'
  | 'PAYLOAD_HASH'
  | 'UNAUTHORISED'
  | 'UNKNOWN_SITE'
  | 'BAD_SIGNATURE'
  | 'BAD_ATTESTATION'
  | 'NOT_FOUND'
  | 'NO_MODEL'
  | 'WRONG_ROUND'
  | 'NOT_PARTICIPANT'
  | 'WRONG_BASE_VERSION'
  | 'REPLAY'
  | 'DUPLICATE'
  | 'RELEASE_BLOCKED'
  | 'OVERSIZED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'EXAMPLES_OUT_OF_RANGE'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'NORM_EXCEEDED'
  | 'FEATURE_SPACE'
  | 'UNKNOWN_SUBJECT'
  | 'INTERNAL'
  | 'BUSY';

/** Every error code a reply may carry, with its HTTP status. */
export const REPLY_CODES: {
  readonly [Code in ReplyCode]: number;
} = {
  MALFORMED: 400,
  TIME_OUT_OF_WINDOW: 400,
  PAYLOAD_HASH: 400,
  UNAUTHORISED: 401,
  UNKNOWN_SITE: 403,
  BAD_SIGNATURE: 403,
  BAD_ATTESTATION: 403,
  NOT_FOUND: 404,
  NO_MODEL: 404,
  WRONG_ROUND: 409,
  NOT_PARTICIPANT: 409,
  WRONG_BASE_VERSION: 409,
  REPLAY: 409,
  DUPLICATE: 409,
  RELEASE_BLOCKED: 409,
  OVERSIZED: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXAMPLES_OUT_OF_RANGE: 422,
  SHAPE_MISMATCH: 422,
  NON_FINITE: 422,
  NORM_EXCEEDED: 422,
  FEATURE_SPACE: 422,
  UNKNOWN_SUBJECT: 422,
  INTERNAL: 500,
  BUSY: 503,
};

/** The HTTP status a reply with `code` is sent with. */
export function httpStatusOf(code: ReplyCode): number {
  return REPLY_CODES[code];
}

/** Any refusal: a code from REPLY_CODES and a sentence for a person. */
export const ErrorReplySchema: TObject<{ code: TString; message: TString }> = Type.Object(
  { code: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
export type ErrorReply = Static<typeof ErrorReplySchema>;

/**
 * Reads an error reply's body; a body that is no error reply (a proxy's HTML page, nothing)
 * gives empty fields rather than an exception, so the caller can still name the HTTP status.
 */
export function readErrorReply(body: unknown): { code: string; message: string } {
  return Value.Check(ErrorReplySchema, body) ? body : { code: '', message: '' };
}

/** A round as the admin API shows it. */
export const RoundViewSchema: TObject<{
  round: TInteger;
  kind: TUnion<[TLiteral<'statistics'>, TLiteral<'training'>]>;
  state: TUnion<[TLiteral<'open'>, TLiteral<'closed'>, TLiteral<'failed'>, TLiteral<'aborted'>]>;
  baseVersion: TInteger;
  deadline: TString;
  openedAt: TString;
  participants: TArray<TString>;
}> = Type.Object(
  {
    round: Type.Integer(),
    kind: Type.Union([Type.Literal('statistics'), Type.Literal('training')]),
    state: Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('failed'), Type.Literal('aborted')]),
    baseVersion: Type.Integer(),
    deadline: Type.String(),
    openedAt: Type.String(),
    participants: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type RoundView = Static<typeof RoundViewSchema>;

/** A global generator version: its bundle's sha256, its weights' fingerprint and the sites in it. */
export const VersionViewSchema: TObject<{
  version: TInteger;
  round: TInteger;
  sha256: TString;
  weightsSha256: TString;
  sites: TArray<TString>;
  createdAt: TString;
}> = Type.Object(
  {
    version: Type.Integer(),
    round: Type.Integer(),
    sha256: Type.String(),
    weightsSha256: Type.String(),
    sites: Type.Array(Type.String()),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
export type VersionView = Static<typeof VersionViewSchema>;

/** `GET /admin/status` and the replies of `round start` and `round abort`. */
export const AdminStatusSchema: TObject<{
  round: TUnion<[typeof RoundViewSchema, TNull]>;
  acceptedSites: TArray<TString>;
  droppedSites: TArray<TString>;
  connectedSites: TArray<TString>;
  latestVersion: TUnion<[typeof VersionViewSchema, TNull]>;
  trainingRoundsDone: TInteger;
  targetTrainingRounds: TInteger;
  finished: TBoolean;
}> = Type.Object(
  {
    round: Type.Union([RoundViewSchema, Type.Null()]),
    acceptedSites: Type.Array(Type.String()),
    droppedSites: Type.Array(Type.String()),
    connectedSites: Type.Array(Type.String()),
    latestVersion: Type.Union([VersionViewSchema, Type.Null()]),
    trainingRoundsDone: Type.Integer(),
    targetTrainingRounds: Type.Integer(),
    finished: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AdminStatus = Static<typeof AdminStatusSchema>;

/** A site on the allow-list, as `GET /admin/sites` and `sites add|revoke` show it. */
export const SiteViewSchema: TObject<{
  siteId: TString;
  publicKey: TString;
  revoked: TBoolean;
  connected: TBoolean;
}> = Type.Object(
  { siteId: Type.String(), publicKey: Type.String(), revoked: Type.Boolean(), connected: Type.Boolean() },
  { additionalProperties: false },
);
export type SiteView = Static<typeof SiteViewSchema>;

/** `GET /status`: public, so it says nothing about which sites take part. */
export const PublicStatusSchema: TObject<{
  round: TUnion<[TInteger, TNull]>;
  kind: TUnion<[TString, TNull]>;
  state: TUnion<[TString, TNull]>;
  acceptedUpdates: TInteger;
  latestVersion: TUnion<[TInteger, TNull]>;
  finished: TBoolean;
}> = Type.Object(
  {
    round: Type.Union([Type.Integer(), Type.Null()]),
    kind: Type.Union([Type.String(), Type.Null()]),
    state: Type.Union([Type.String(), Type.Null()]),
    acceptedUpdates: Type.Integer(),
    latestVersion: Type.Union([Type.Integer(), Type.Null()]),
    finished: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PublicStatus = Static<typeof PublicStatusSchema>;

/** The reply to an accepted update (or to a re-send of one already accepted). */
export const UpdateAcceptedSchema: TObject<{
  accepted: TLiteral<true>;
  duplicate: TBoolean;
  round: TInteger;
  siteId: TString;
}> = Type.Object(
  { accepted: Type.Literal(true), duplicate: Type.Boolean(), round: Type.Integer(), siteId: Type.String() },
  { additionalProperties: false },
);
export type UpdateAccepted = Static<typeof UpdateAcceptedSchema>;
