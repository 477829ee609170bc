import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  decodeGeneratorBundle,
  ErrorReplySchema,
  ReleaseStateSchema,
  RoundHistorySchema,
  SitesActivitySchema,
  type AuditPolicy,
  type ReleaseState,
  type RoundHistoryEntry,
  type SitesActivity,
} from '@emodistill/core/federation';
import { currentAttestations, judgeRelease } from '../release/release-gate.js';
import type { RefusalLog } from '../rounds/refusal-log.js';
import type { CoordinatorStore, VersionRecord } from '../store/store.js';
import type { SiteGateway } from './site-gateway.js';
import type { TypeBoxTypeProvider } from './typebox-validation.js';

export interface AdminViewsOptions {
  readonly store: CoordinatorStore;
  /** The federation's release policy, as `export --release` judges attestations by it. */
  readonly auditPolicy: AuditPolicy;
  readonly gateway: SiteGateway;
  readonly refusals: RefusalLog;
}

/** Rounds `GET /admin/rounds` lists unless asked for `?last=`. */
const DEFAULT_HISTORY_ROUNDS = 100;

/** The later of two ISO-8601 times (either may be missing). */
const later = (a: string | undefined, b: string | undefined): string | null =>
  a === undefined ? (b ?? null) : b === undefined || a > b ? a : b;

/**
 * What an operator watches a federation through (the CLI's dashboard), read-only: the round
 * history with updates, losses and drift; each site's session, updates and refusals; the release
 * state with every trainer's attestation. Registered inside the admin API, behind its signed-request check.
 */
export async function adminViews(app: FastifyInstance, options: AdminViewsOptions): Promise<void> {
  const { store, auditPolicy, gateway, refusals } = options;
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.get(
    '/admin/rounds',
    {
      schema: {
        querystring: Type.Object(
          { last: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
          { additionalProperties: false },
        ),
        response: { 200: RoundHistorySchema, '4xx': ErrorReplySchema },
      },
    },
    async (request): Promise<RoundHistoryEntry[]> => {
      const rounds = store.listRounds(request.query.last ?? DEFAULT_HISTORY_ROUNDS);
      const first = rounds.at(-1)?.round ?? 0;
      const updates = store.updatesFrom(first);
      const drift = new Map(store.driftFrom(first).map((d) => [d.round, d]));
      const versionOf = new Map(store.listVersions().map((v) => [v.round, v.version]));
      return rounds.map((round) => {
        const measured = drift.get(round.round);
        return {
          round: round.round,
          kind: round.kind,
          state: round.state,
          baseVersion: round.baseVersion,
          deadline: round.deadline,
          openedAt: round.openedAt,
          participants: [...round.participants],
          endedAt: round.endedAt ?? null,
          version: versionOf.get(round.round) ?? null,
          updates: updates
            .filter((u) => u.round === round.round)
            .map((u) => ({
              siteId: u.siteId,
              numExamples: u.numExamples,
              norm: u.norm,
              metrics: { ...u.metrics },
              receivedAt: u.receivedAt,
            })),
          drift: measured
            ? {
                meanNorm: measured.meanNorm,
                meanPairwiseCosine: measured.meanPairwiseCosine,
                sites: measured.sites.map((s) => ({ ...s })),
              }
            : null,
        };
      });
    },
  );

  typed.get(
    '/admin/sites/activity',
    { schema: { response: { 200: SitesActivitySchema, '4xx': ErrorReplySchema } } },
    async (): Promise<SitesActivity> => {
      const connected = new Set(gateway.connectedSites());
      const sessions = gateway.sessions();
      const updates = new Map(store.updateCountsBySite().map((c) => [c.siteId, c]));
      const now = new Date().toISOString();
      return {
        sites: store.listSites().map((site) => {
          const session = sessions.get(site.siteId);
          const accepted = updates.get(site.siteId);
          const live = connected.has(site.siteId);
          return {
            siteId: site.siteId,
            revoked: site.revoked,
            connected: live,
            connectedSince: live ? (session?.connectedSince ?? null) : null,
            lastSeen: live ? now : later(session?.changedAt, accepted?.lastReceivedAt),
            acceptedUpdates: accepted?.accepted ?? 0,
            lastUpdateAt: accepted?.lastReceivedAt ?? null,
            refusals: refusals.ofSite(site.siteId),
          };
        }),
        unattributed: refusals.unattributed(),
      };
    },
  );

  // The sites that trained a version, from its bundle's provenance (what export --release judges), read once per version.
  let trainersOf: { readonly sha256: string; readonly sites: readonly string[] } | undefined;
  const trainers = (version: VersionRecord, bytes: Uint8Array): readonly string[] => {
    if (trainersOf?.sha256 !== version.sha256) {
      const bundle = decodeGeneratorBundle(bytes, `global version ${version.version}`);
      trainersOf = { sha256: version.sha256, sites: bundle.metadata.provenance.federation?.sites ?? [] };
    }
    return trainersOf.sites;
  };

  typed.get(
    '/admin/release',
    { schema: { response: { 200: ReleaseStateSchema, '4xx': ErrorReplySchema } } },
    async (): Promise<ReleaseState> => {
      const latest = store.latestVersion();
      const bytes = latest && store.versionBundle(latest.version);
      if (!latest || !bytes) return { state: 'no-model', version: null, sha256: null, sites: [] };
      const named = { version: latest.version, sha256: latest.sha256 };
      if (latest.version < 2) return { state: 'untrained', ...named, sites: [] };
      const attestations = currentAttestations(store.attestationsOf(latest.sha256));
      const { granted, sites } = judgeRelease(trainers(latest, bytes), attestations, auditPolicy);
      return { state: granted ? 'granted' : 'blocked', ...named, sites };
    },
  );
}
