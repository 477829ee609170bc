import {
  Type,
  type Static,
  type TArray,
  type TBoolean,
  type TInteger,
  type TLiteral,
  type TNull,
  type TNumber,
  type TObject,
  type TRecord,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { AttestationSchema } from './attestation.js';
import { RoundViewSchema } from './wire-replies.js';

/**
 * What the coordinator's admin API tells an operator watching a federation (the CLI's dashboard):
 * the round history with its updates and drift, each site's activity and refusals, and the release
 * state. Never data, never payloads: counts, norms, times, the losses sites chose to report.
 */

const nullable = <T extends TString | TInteger | TNumber>(schema: T): TUnion<[T, TNull]> =>
  Type.Union([schema, Type.Null()]);

/** An accepted update as the round history shows it (its payload stays in the store). */
export const UpdateViewSchema: TObject<{
  siteId: TString;
  numExamples: TInteger;
  norm: TNumber;
  metrics: TRecord<TString, TNumber>;
  receivedAt: TString;
}> = Type.Object(
  {
    siteId: Type.String(),
    numExamples: Type.Integer(),
    /** Euclidean norm of the update (the moments' for a statistics round). */
    norm: Type.Number(),
    /** What the site reported in its signed header (a training round: its last local losses). */
    metrics: Type.Record(Type.String(), Type.Number()),
    receivedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type UpdateView = Static<typeof UpdateViewSchema>;

/** How far a training round's updates pulled apart, measured by the coordinator when it aggregated them. */
export const RoundDriftViewSchema: TObject<{
  meanNorm: TNumber;
  meanPairwiseCosine: TUnion<[TNumber, TNull]>;
  sites: TArray<TObject<{ siteId: TString; cosineToMean: TUnion<[TNumber, TNull]> }>>;
}> = Type.Object(
  {
    /** Norm of the plain mean of the round's updates. */
    meanNorm: Type.Number(),
    /** Mean cosine similarity over pairs of updates; null with fewer than two non-zero ones. */
    meanPairwiseCosine: nullable(Type.Number()),
    /** Each site's cosine similarity with the mean update; null for a zero update. */
    sites: Type.Array(
      Type.Object({ siteId: Type.String(), cosineToMean: nullable(Type.Number()) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type RoundDriftView = Static<typeof RoundDriftViewSchema>;

/** A round of `GET /admin/rounds`: its state and timings, the version it made, its updates and drift. */
export const RoundHistoryEntrySchema: TObject<
  (typeof RoundViewSchema)['properties'] & {
    endedAt: TUnion<[TString, TNull]>;
    version: TUnion<[TInteger, TNull]>;
    updates: TArray<typeof UpdateViewSchema>;
    drift: TUnion<[typeof RoundDriftViewSchema, TNull]>;
  }
> = Type.Object(
  {
    ...RoundViewSchema.properties,
    /** When the round closed, failed or was aborted; null while open (and for rounds stored before it was kept). */
    endedAt: nullable(Type.String()),
    /** The global version the round made; null unless it closed. */
    version: nullable(Type.Integer()),
    updates: Type.Array(UpdateViewSchema),
    /** Null for a statistics round, an open one, or one aggregated before drift was kept. */
    drift: Type.Union([RoundDriftViewSchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type RoundHistoryEntry = Static<typeof RoundHistoryEntrySchema>;

/** `GET /admin/rounds`: the latest rounds, newest first. */
export const RoundHistorySchema: TArray<typeof RoundHistoryEntrySchema> = Type.Array(RoundHistoryEntrySchema);

/** One refused update or request as the coordinator answered it. */
export const RefusalViewSchema: TObject<{
  time: TString;
  round: TUnion<[TInteger, TNull]>;
  reason: TString;
  message: TString;
}> = Type.Object(
  {
    time: Type.String(),
    /** The round the upload named; null when it named none the coordinator could read. */
    round: nullable(Type.Integer()),
    /** The reply's code (e.g. BAD_SIGNATURE, NORM_EXCEEDED). */
    reason: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type RefusalView = Static<typeof RefusalViewSchema>;

/** Refusals since the coordinator started: counts by reason and the most recent few. */
export const RefusalSummarySchema: TObject<{
  total: TInteger;
  byReason: TRecord<TString, TInteger>;
  recent: TArray<typeof RefusalViewSchema>;
}> = Type.Object(
  {
    total: Type.Integer(),
    byReason: Type.Record(Type.String(), Type.Integer()),
    /** Newest first. */
    recent: Type.Array(RefusalViewSchema),
  },
  { additionalProperties: false },
);
export type RefusalSummary = Static<typeof RefusalSummarySchema>;

/** A site on the allow-list: its session, its accepted updates and its refused ones. */
export const SiteActivitySchema: TObject<{
  siteId: TString;
  revoked: TBoolean;
  connected: TBoolean;
  connectedSince: TUnion<[TString, TNull]>;
  lastSeen: TUnion<[TString, TNull]>;
  acceptedUpdates: TInteger;
  lastUpdateAt: TUnion<[TString, TNull]>;
  refusals: typeof RefusalSummarySchema;
}> = Type.Object(
  {
    siteId: Type.String(),
    revoked: Type.Boolean(),
    connected: Type.Boolean(),
    connectedSince: nullable(Type.String()),
    /** Now for a connected site; else when its session ended or its last update arrived, whichever is later. */
    lastSeen: nullable(Type.String()),
    acceptedUpdates: Type.Integer(),
    lastUpdateAt: nullable(Type.String()),
    refusals: RefusalSummarySchema,
  },
  { additionalProperties: false },
);
export type SiteActivity = Static<typeof SiteActivitySchema>;

/** `GET /admin/sites/activity`. */
export const SitesActivitySchema: TObject<{
  sites: TArray<typeof SiteActivitySchema>;
  unattributed: typeof RefusalSummarySchema;
}> = Type.Object(
  {
    sites: Type.Array(SiteActivitySchema),
    /** Refusals that named no site on the allow-list. */
    unattributed: RefusalSummarySchema,
  },
  { additionalProperties: false },
);
export type SitesActivity = Static<typeof SitesActivitySchema>;

/** A site that trained the latest global version, as the release gate sees it. */
export const SiteReleaseViewSchema: TObject<{
  siteId: TString;
  attestation: TUnion<[(typeof AttestationSchema)['properties']['body'], TNull]>;
  policyProblems: TArray<TString>;
  blocking: TUnion<[TString, TNull]>;
}> = Type.Object(
  {
    siteId: Type.String(),
    /** The site's signed attestation of the latest version (its verdict, figures and counts), or null. */
    attestation: Type.Union([AttestationSchema.properties.body, Type.Null()]),
    /** Why the attestation no longer meets the federation's policy; empty when it does. */
    policyProblems: Type.Array(Type.String()),
    /** Why this site holds the release back, or null. */
    blocking: nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type SiteReleaseView = Static<typeof SiteReleaseViewSchema>;

/** `GET /admin/release`: whether `coordinator export --release` would be granted now, and why. */
export const ReleaseStateSchema: TObject<{
  state: TUnion<[TLiteral<'no-model'>, TLiteral<'untrained'>, TLiteral<'blocked'>, TLiteral<'granted'>]>;
  version: TUnion<[TInteger, TNull]>;
  sha256: TUnion<[TString, TNull]>;
  sites: TArray<typeof SiteReleaseViewSchema>;
}> = Type.Object(
  {
    state: Type.Union([
      Type.Literal('no-model'),
      Type.Literal('untrained'),
      Type.Literal('blocked'),
      Type.Literal('granted'),
    ]),
    /** The latest global version (the one a release exports). */
    version: nullable(Type.Integer()),
    sha256: nullable(Type.String()),
    /** Every site that trained it. */
    sites: Type.Array(SiteReleaseViewSchema),
  },
  { additionalProperties: false },
);
export type ReleaseState = Static<typeof ReleaseStateSchema>;
