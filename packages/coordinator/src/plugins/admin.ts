import { Type } from '@sinclair/typebox';
import { type TypeBoxTypeProvider } from './typebox-validation.js';
import type { FastifyInstance } from 'fastify';
import { keepRawJsonBodies } from './raw-json.js';
import {
  AdminStatusSchema,
  decodeGeneratorBundle,
  ErrorReplySchema,
  SiteViewSchema,
  VersionViewSchema,
  encodeGeneratorBundle,
  signGeneratorBundle,
  type AuditPolicy,
  type KeyPair,
} from '@emodistill/core/federation';
import { currentAttestations, judgeRelease } from '../release/release-gate.js';
import type { RefusalLog } from '../rounds/refusal-log.js';
import type { RoundRunner, RunnerStatus } from '../rounds/round-runner.js';
import type { CoordinatorStore, RoundRecord } from '../store/store.js';
import { AUTH_HEADER, type Authenticate } from './authenticate.js';
import type { SiteGateway } from './site-gateway.js';
import { refuseAnyBody } from './error-replies.js';
import { adminViews } from './admin-views.js';

export interface AdminApiOptions {
  readonly store: CoordinatorStore;
  readonly keys: KeyPair;
  /** The federation's release policy: attestations are judged by it again at export (it may have been tightened since). */
  readonly auditPolicy: AuditPolicy;
  readonly runner: () => RoundRunner;
  readonly gateway: SiteGateway;
  readonly authenticate: Authenticate;
  /** Refused updates since start, for the sites' activity view. */
  readonly refusals: RefusalLog;
}

// The status names the round as RoundViewSchema does (its end time is in the round history).
const roundView = ({ endedAt: _endedAt, ...round }: RoundRecord) => ({
  ...round,
  participants: [...round.participants],
});

const view = (status: RunnerStatus) => ({
  ...status,
  acceptedSites: [...status.acceptedSites],
  droppedSites: [...status.droppedSites],
  connectedSites: [...status.connectedSites],
  round: status.round ? roundView(status.round) : null,
  latestVersion: status.latestVersion ? { ...status.latestVersion, sites: [...status.latestVersion.sites] } : null,
});

/**
 * The operator's API: every request must be signed with a configured admin key (there is no open
 * admin endpoint); the raw body is what the signature covers.
 */
export async function adminApi(app: FastifyInstance, options: AdminApiOptions): Promise<void> {
  const { store, keys, auditPolicy, runner, gateway, authenticate, refusals } = options;
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const rawBody = keepRawJsonBodies(app);
  typed.addHook('preHandler', async (request, reply) => {
    const verdict = authenticate(
      request.headers[AUTH_HEADER] as string | undefined,
      { method: request.method, path: request.url, body: rawBody(request) },
      ['admin'],
    );
    if (!verdict.ok) {
      request.log.warn({ path: request.url, reason: verdict.reason }, 'admin request refused');
      return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
    }
    request.log.info({ path: request.url, method: request.method }, 'admin request');
  });
  // What an operator watches (the dashboard): in a child scope, so behind the same signed-request check.
  void app.register(adminViews, { store, auditPolicy, gateway, refusals });

  typed.get('/admin/status', { schema: { response: { 200: AdminStatusSchema, '4xx': ErrorReplySchema } } }, async () =>
    view(runner().status()),
  );

  typed.get(
    '/admin/versions',
    { schema: { response: { 200: Type.Array(VersionViewSchema), '4xx': ErrorReplySchema } } },
    async () => store.listVersions().map((v) => ({ ...v, sites: [...v.sites] })),
  );

  typed.post(
    '/admin/rounds/start',
    {
      schema: {
        body: Type.Object({ rounds: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
        response: { 200: AdminStatusSchema, '4xx': ErrorReplySchema },
      },
    },
    async (request) => view(runner().startRounds(request.body.rounds)),
  );

  typed.post(
    '/admin/rounds/abort',
    { preValidation: refuseAnyBody, schema: { response: { 200: AdminStatusSchema, '4xx': ErrorReplySchema } } },
    async () => view(runner().abort()),
  );

  typed.get(
    '/admin/sites',
    { schema: { response: { 200: Type.Array(SiteViewSchema), '4xx': ErrorReplySchema } } },
    async () => {
      const connected = new Set(gateway.connectedSites());
      return store.listSites().map((s) => ({ ...s, connected: connected.has(s.siteId) }));
    },
  );

  typed.post(
    '/admin/sites',
    {
      schema: {
        body: Type.Object(
          {
            siteId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            publicKey: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SiteViewSchema, '4xx': ErrorReplySchema },
      },
    },
    async (request) => {
      store.addSite(request.body.siteId, request.body.publicKey);
      request.log.info({ siteId: request.body.siteId }, 'site added');
      return {
        siteId: request.body.siteId,
        publicKey: request.body.publicKey,
        revoked: false,
        connected: gateway.connectedSites().includes(request.body.siteId),
      };
    },
  );

  typed.post(
    '/admin/sites/:siteId/revoke',
    {
      preValidation: refuseAnyBody,
      schema: {
        params: Type.Object({ siteId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        response: { 200: SiteViewSchema, '4xx': ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const { siteId } = request.params;
      if (!store.revokeSite(siteId))
        return reply.code(404).send({ code: 'NOT_FOUND', message: `no site "${siteId}" on the allow-list` });
      gateway.disconnect(siteId);
      runner().siteRevoked(siteId);
      request.log.warn({ siteId }, 'site revoked');
      return { ...store.listSites().find((s) => s.siteId === siteId)!, connected: false };
    },
  );

  typed.get(
    '/admin/export',
    {
      schema: {
        querystring: Type.Object({ release: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Type.Unknown(), '4xx': ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const latest = store.latestVersion();
      const bytes = latest && store.versionBundle(latest.version);
      if (!latest || !bytes)
        return reply.code(409).send({
          code: 'NO_MODEL',
          message: 'no global generator yet: run the statistics round and at least one training round first',
        });
      if (latest.version < 2)
        return reply.code(409).send({
          code: 'NO_MODEL',
          message: 'the global generator is still untrained (only the statistics round has run)',
        });
      const bundle = decodeGeneratorBundle(bytes, `global version ${latest.version}`);
      const attestations = currentAttestations(store.attestationsOf(latest.sha256));
      if (request.query.release) {
        const trainers = bundle.metadata.provenance.federation?.sites ?? [];
        const blocking = judgeRelease(trainers, attestations, auditPolicy).sites.flatMap((s) => s.blocking ?? []);
        if (blocking.length > 0) {
          request.log.warn({ version: latest.version, blocking }, 'release refused');
          return reply.code(409).send({
            code: 'RELEASE_BLOCKED',
            message: `release needs a PASS audit attestation of global version ${latest.version} from every site that trained it; not yet: ${blocking.join('; ')}`,
          });
        }
      }
      const provenance = {
        ...bundle.metadata.provenance,
        globalVersion: latest.version,
        globalSha256: latest.sha256,
        weightsSha256: latest.weightsSha256,
        exportedAt: new Date().toISOString(),
        released: request.query.release === true,
        attestations: attestations.map((a) => ({ siteId: a.siteId, ...a.attestation })),
      };
      const released = signGeneratorBundle({ ...bundle, metadata: { ...bundle.metadata, provenance } }, keys);
      const out = encodeGeneratorBundle(released);
      return reply.type('application/octet-stream').send(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    },
  );
}
