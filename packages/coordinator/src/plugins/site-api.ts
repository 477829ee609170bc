import { createHash } from 'node:crypto';
import { Type, type TObject, type TString, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { canonicalBytes, checkMessage, PROTOCOL, validateUpdate, verifyAttestation, verifyBytes, UPDATE_REJECTIONS, type UpdateRejection } from '@emodistill/core';
import type { CoordinatorConfig } from '../config.js';
import type { RoundRunner } from '../rounds/round-runner.js';
import type { CoordinatorStore } from '../store/store.js';
import { AUTH_HEADER, type Authenticate } from './authenticate.js';
import { keepRawJsonBodies } from './raw-json.js';

const UPDATE_HEADER = PROTOCOL.updateHeader;
const SHA256_HEADER = PROTOCOL.sha256Header;
export const ErrorReply: TObject<{ code: TString; message: TString }> = Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false });

/** Counters the metrics endpoint reports. */
export interface UpdateCounters {
  accepted: number;
  readonly rejected: Map<string, number>;
}

/** HTTP status per rejection: the client's fault (4xx), with conflict and size called out. */
const STATUS: Record<UpdateRejection, number> = {
  MALFORMED: 400,
  UNKNOWN_SITE: 403,
  BAD_SIGNATURE: 403,
  WRONG_ROUND: 409,
  WRONG_BASE_VERSION: 409,
  REPLAY: 409,
  DUPLICATE: 409,
  OVERSIZED: 413,
  PAYLOAD_HASH: 400,
  SHAPE_MISMATCH: 422,
  NON_FINITE: 422,
  NORM_EXCEEDED: 422,
  FEATURE_SPACE: 422,
};

export interface SiteApiOptions {
  readonly store: CoordinatorStore;
  readonly config: CoordinatorConfig;
  readonly runner: () => RoundRunner;
  readonly authenticate: Authenticate;
  readonly counters: UpdateCounters;
}

/**
 * What sites call over HTTP: download a global version (signed request) and upload an update
 * (binary body; the signed envelope in the `x-emodistill-update` header). Nothing is stored unless
 * every check passes, and the reply is sent only after the update is on disk.
 */
export async function siteApi(app: FastifyInstance, options: SiteApiOptions): Promise<void> {
  const { store, config, runner, authenticate, counters } = options;
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const rawBody = keepRawJsonBodies(app);
  typed.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: config.limits.maxPayloadBytes }, (_request, body, done) => done(null, body));

  typed.get(
    '/models/:version',
    { schema: { params: Type.Object({ version: Type.Integer({ minimum: 1 }) }), response: { 200: Type.Unknown(), '4xx': ErrorReply } } },
    async (request, reply) => {
      const verdict = authenticate(request.headers[AUTH_HEADER] as string | undefined, { method: 'GET', path: request.url }, ['site', 'admin']);
      if (!verdict.ok) return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
      const bytes = store.versionBundle(request.params.version);
      if (!bytes) return reply.code(404).send({ code: 'NOT_FOUND', message: `no global version ${request.params.version}` });
      request.log.info({ version: request.params.version, bytes: bytes.byteLength, by: verdict.id }, 'model downloaded');
      return reply.type('application/octet-stream').header(SHA256_HEADER, createHash('sha256').update(bytes).digest('hex')).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  // A site's signed audit attestation of a global version: needed by `export --release`.
  typed.put('/attestations', { schema: { response: { 200: Type.Object({ recorded: Type.Literal(true), version: Type.Integer(), passed: Type.Boolean() }, { additionalProperties: false }), '4xx': ErrorReply } } }, async (request, reply) => {
    const verdict = authenticate(request.headers[AUTH_HEADER] as string | undefined, { method: 'PUT', path: request.url, body: rawBody(request) }, ['site']);
    if (!verdict.ok) return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
    const checked = checkMessage('attestation', request.body);
    if (!checked.ok) return reply.code(400).send({ code: 'MALFORMED', message: checked.reason });
    const attestation = checked.message;
    const siteKey = store.listSites().find((s) => s.siteId === verdict.id)?.publicKey;
    if (attestation.body.sitePublicKey !== siteKey) return reply.code(403).send({ code: 'BAD_ATTESTATION', message: `attestation is signed for key ${attestation.body.sitePublicKey}, not site "${verdict.id}"'s registered key` });
    if (!verifyAttestation(attestation)) return reply.code(403).send({ code: 'BAD_ATTESTATION', message: 'attestation signature does not verify (forged or altered)' });
    const version = store.listVersions().find((v) => v.sha256 === attestation.body.subjectSha256);
    if (!version) return reply.code(422).send({ code: 'UNKNOWN_SUBJECT', message: `attestation is about sha256 ${attestation.body.subjectSha256}, which is no global version of this coordinator` });
    store.recordAttestation(verdict.id, attestation);
    request.log.info({ siteId: verdict.id, version: version.version, passed: attestation.body.passed }, 'attestation recorded');
    return { recorded: true as const, version: version.version, passed: attestation.body.passed };
  });

  typed.put(
    '/rounds/:round/updates',
    {
      schema: {
        params: Type.Object({ round: Type.Integer({ minimum: 0 }) }),
        headers: Type.Object({ [UPDATE_HEADER]: Type.String({ minLength: 1, maxLength: 8192 }) }),
        response: { 200: Type.Object({ accepted: Type.Literal(true), duplicate: Type.Boolean(), round: Type.Integer(), siteId: Type.String() }, { additionalProperties: false }), '4xx': ErrorReply },
      },
    },
    async (request, reply) => {
      const payload = request.body as Buffer;
      const refuse = (reason: UpdateRejection | 'WRONG_ROUND', message: string, siteId?: string) => {
        counters.rejected.set(reason, (counters.rejected.get(reason) ?? 0) + 1);
        request.log.warn({ round: request.params.round, siteId, reason, detail: message }, 'update rejected');
        return reply.code(STATUS[reason]).send({ code: reason, message });
      };
      let envelope: unknown;
      try {
        envelope = JSON.parse(Buffer.from(request.headers[UPDATE_HEADER], 'base64').toString('utf8'));
      } catch {
        return refuse(UPDATE_REJECTIONS.malformed, `${UPDATE_HEADER} is not base64-encoded JSON`);
      }
      const checked = checkMessage('signedUpdate', envelope);
      const claimedSite = checked.ok ? checked.message.header.siteId : undefined;
      // A site whose acknowledgement was lost re-sends the same signed update: answer as before.
      if (checked.ok) {
        const previous = store.updateByNonce(checked.message.header.nonce);
        const publicKey = store.listSites().find((s) => s.siteId === claimedSite && !s.revoked)?.publicKey;
        if (previous && publicKey && previous.round === request.params.round && previous.siteId === claimedSite && previous.sha256 === checked.message.header.sha256 && verifyBytes(canonicalBytes(checked.message.header), checked.message.signature, publicKey)) {
          return { accepted: true as const, duplicate: true, round: previous.round, siteId: previous.siteId };
        }
        if (previous) return refuse(UPDATE_REJECTIONS.replay, `nonce of an update accepted in round ${previous.round} was used again (replayed upload)`, claimedSite);
      }
      // Identity before round state: a revoked or unknown site hears that, whatever the round.
      const siteRecord = claimedSite === undefined ? undefined : store.listSites().find((s) => s.siteId === claimedSite);
      if (checked.ok && (!siteRecord || siteRecord.revoked)) return refuse(UPDATE_REJECTIONS.unknownSite, siteRecord ? `site "${claimedSite}" was revoked` : `site "${claimedSite}" is not on the allow-list`, claimedSite);
      const round = store.currentRound();
      if (!round || round.state !== 'open' || round.round !== request.params.round) {
        return refuse(UPDATE_REJECTIONS.wrongRound, round?.state === 'open' ? `round ${round.round} is open, not ${request.params.round}` : `round ${request.params.round} is not open (late or stale update)`, claimedSite);
      }
      const verdict = validateUpdate(envelope, payload, {
        sitePublicKeys: new Map(store.listSites().filter((s) => !s.revoked).map((s) => [s.siteId, s.publicKey])),
        round: round.round,
        baseVersion: round.baseVersion,
        seenNonces: { has: (nonce) => store.nonceSeen(nonce) },
        acceptedSites: { has: (siteId) => store.hasUpdate(round.round, siteId) },
        layout: runner().layoutFor(round),
        maxPayloadBytes: config.limits.maxPayloadBytes,
        // Moments are not a step in weight space: the norm bound applies to training updates only.
        maxNorm: round.kind === 'training' ? config.limits.maxUpdateNorm : Number.POSITIVE_INFINITY,
      });
      if (!verdict.accepted) return refuse(verdict.reason, verdict.message, claimedSite);
      const statisticsProblem = round.kind === 'statistics' ? runner().checkStatistics(round, verdict.metadata) : undefined;
      if (statisticsProblem) return refuse(UPDATE_REJECTIONS.featureSpace, statisticsProblem, claimedSite);
      const { header, norm } = verdict;
      store.recordUpdate({ round: round.round, siteId: header.siteId, numExamples: header.numExamples, sha256: header.sha256, nonce: header.nonce, norm, metrics: header.metrics, payload });
      counters.accepted++;
      request.log.info({ round: round.round, siteId: header.siteId, numExamples: header.numExamples, norm }, 'update accepted');
      runner().updateAccepted(round.round);
      return { accepted: true as const, duplicate: false, round: round.round, siteId: header.siteId };
    },
  );
}
