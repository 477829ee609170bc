import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { type TypeBoxTypeProvider } from './typebox-validation.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ATTESTATION_VERSION,
  canonicalBytes,
  checkMessage,
  ErrorReplySchema,
  httpStatusOf,
  judgeAttestation,
  PROTOCOL,
  signBytes,
  UpdateAcceptedSchema,
  verifyAttestation,
  UPDATE_REJECTIONS,
  type KeyPair,
  type ReleasePolicy,
  type Signed,
  type UpdateRejection,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import { intakeUpdate, updateLayouts, type IntakeContext } from '../rounds/intake.js';
import type { RefusalLog } from '../rounds/refusal-log.js';
import type { RoundRunner } from '../rounds/round-runner.js';
import { firstStatistics } from '../strategies/statistics-round.js';
import type { CoordinatorStore } from '../store/store.js';
import { AUTH_HEADER, type Authenticate } from './authenticate.js';
import { keepRawJsonBodies } from './raw-json.js';
import { createUploadGate } from './upload-gate.js';
import { FAULT_POINTS, faultPoint } from '../faults/fault-point.js';

const UPDATE_HEADER = PROTOCOL.updateHeader;
const SHA256_HEADER = PROTOCOL.sha256Header;
/** What a deferred upload is told to wait (the site agent honours Retry-After). */
const RETRY_AFTER_SECONDS = 1;
/** What the metrics endpoint and the admin views report about updates since start. */
export interface UpdateCounters {
  accepted: number;
  readonly refusals: RefusalLog;
}

export interface SiteApiOptions {
  readonly store: CoordinatorStore;
  readonly config: CoordinatorConfig;
  readonly keys: KeyPair;
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
  const { store, config, keys, runner, authenticate, counters } = options;
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const rawBody = keepRawJsonBodies(app);
  // The server-wide body limit is small; only the update route raises it (and only for admitted uploads).
  typed.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  /** A GET signed by a site or an operator (downloads of versions and of the audit policy). */
  const authenticateDownload = (request: FastifyRequest): ReturnType<Authenticate> =>
    authenticate(request.headers[AUTH_HEADER] as string | undefined, { method: 'GET', path: request.url }, [
      'site',
      'admin',
    ]);

  typed.get(
    '/models/:version',
    {
      schema: {
        params: Type.Object({ version: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Unknown(), '4xx': ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const verdict = authenticateDownload(request);
      if (!verdict.ok) return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
      const bytes = store.versionBundle(request.params.version);
      if (!bytes)
        return reply.code(404).send({ code: 'NOT_FOUND', message: `no global version ${request.params.version}` });
      request.log.info(
        { version: request.params.version, bytes: bytes.byteLength, by: verdict.id },
        'model downloaded',
      );
      return reply
        .type('application/octet-stream')
        .header(SHA256_HEADER, createHash('sha256').update(bytes).digest('hex'))
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  // The federation's audit policy, signed, so a site audits under the thresholds its attestation will be judged by.
  const releasePolicy: ReleasePolicy = { kind: 'emodistill-release-policy', policy: config.auditPolicy };
  const signedPolicy: Signed<ReleasePolicy> = {
    body: releasePolicy,
    signature: signBytes(canonicalBytes(releasePolicy), keys.secretKey),
  };
  typed.get(
    '/release-policy',
    { schema: { response: { 200: Type.Unknown(), '4xx': ErrorReplySchema } } },
    async (request, reply) => {
      const verdict = authenticateDownload(request);
      if (!verdict.ok) return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
      return signedPolicy;
    },
  );

  // A site's signed audit attestation of a global version: needed by `export --release`.
  typed.put(
    '/attestations',
    {
      schema: {
        response: {
          200: Type.Object(
            {
              recorded: Type.Literal(true),
              version: Type.Integer(),
              verdict: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('inconclusive')]),
            },
            { additionalProperties: false },
          ),
          '4xx': ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const verdict = authenticate(
        request.headers[AUTH_HEADER] as string | undefined,
        { method: 'PUT', path: request.url, body: rawBody(request) },
        ['site'],
      );
      if (!verdict.ok) return reply.code(401).send({ code: 'UNAUTHORISED', message: verdict.reason });
      const checked = checkMessage('attestation', request.body);
      if (!checked.ok) {
        // An older CLI's attestation: say what to do rather than which field is unexpected.
        const version = (request.body as { body?: { version?: unknown } } | undefined)?.body?.version;
        if (typeof version === 'number' && version !== ATTESTATION_VERSION)
          return reply.code(400).send({
            code: 'MALFORMED',
            message: `attestation version ${version} is not accepted (this coordinator takes version ${ATTESTATION_VERSION}: a verdict by rule with the audit policy, figures and holdout size it rests on); update emodistill and run \`emodistill site audit\` again`,
          });
        return reply.code(400).send({ code: 'MALFORMED', message: checked.reason });
      }
      const attestation = checked.message;
      const siteKey = store.listSites().find((s) => s.siteId === verdict.id)?.publicKey;
      if (attestation.body.sitePublicKey !== siteKey)
        return reply.code(403).send({
          code: 'BAD_ATTESTATION',
          message: `attestation is signed for key ${attestation.body.sitePublicKey}, not site "${verdict.id}"'s registered key`,
        });
      if (!verifyAttestation(attestation))
        return reply
          .code(403)
          .send({ code: 'BAD_ATTESTATION', message: 'attestation signature does not verify (forged or altered)' });
      const version = store.listVersions().find((v) => v.sha256 === attestation.body.subjectSha256);
      if (!version)
        return reply.code(422).send({
          code: 'UNKNOWN_SUBJECT',
          message: `attestation is about sha256 ${attestation.body.subjectSha256}, which is no global version of this coordinator`,
        });
      const judged = judgeAttestation(attestation.body, config.auditPolicy);
      if (!judged.ok) {
        request.log.warn({ siteId: verdict.id, reasons: judged.reasons }, 'attestation refused');
        return reply.code(422).send({
          code: 'POLICY_NOT_MET',
          message: `attestation does not meet the federation's audit policy: ${judged.reasons.join('; ')}; audit again under the coordinator's policy (\`emodistill site audit\` fetches it)`,
        });
      }
      store.recordAttestation(verdict.id, attestation);
      request.log.info(
        { siteId: verdict.id, version: version.version, verdict: judged.verdict },
        'attestation recorded',
      );
      return { recorded: true as const, version: version.version, verdict: judged.verdict };
    },
  );

  const gate = createUploadGate(config.limits.maxUploadBytesInFlight);
  /** What the pre-body check established for an upload: its envelope, and the site holding a gate place. */
  const admitted = new WeakMap<FastifyRequest, { envelope: unknown; siteId: string }>();
  const release = (request: FastifyRequest): void => {
    const entry = admitted.get(request);
    if (entry) gate.leave(entry.siteId);
    admitted.delete(request);
  };
  const layouts = updateLayouts(config.model);
  /** What the update intake checks against: the store as it is now, and the config. */
  const intakeContext = (): IntakeContext => ({
    sites: store.listSites(),
    round: store.currentRound(),
    now: Date.now(),
    limits: config.limits,
    layouts,
    model: config.model,
    acceptedByNonce: (nonce) => store.updateByNonce(nonce),
    hasUpdate: (round, siteId) => store.hasUpdate(round, siteId),
    firstStatistics: (round) => firstStatistics(store, round),
  });
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    reason: UpdateRejection,
    message: string,
    siteId?: string,
  ): FastifyReply => {
    const round = Number((request.params as { round?: unknown }).round);
    // Under the site it names only when that site is on the allow-list (a claimed name costs no memory).
    const known = siteId !== undefined && store.listSites().some((s) => s.siteId === siteId);
    counters.refusals.record(
      { time: new Date().toISOString(), round: Number.isInteger(round) ? round : null, reason, message },
      known ? siteId : undefined,
    );
    request.log.warn({ round, siteId, reason, detail: message }, 'update rejected');
    return reply.code(httpStatusOf(reason)).send({ code: reason, message });
  };

  /**
   * Everything the signed header can settle is settled before the body is read: identity,
   * signature, round, participation, time, replay and the declared size. A refused upload costs
   * no buffering, and an accepted one holds a place in the upload gate until it is answered.
   */
  async function admitUpload(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    const withinLimit = declared <= config.limits.maxPayloadBytes;
    // A refused body is never buffered: within the limit it is drained (read and dropped) so the
    // client reads its reply; beyond it, or of unknown length, the connection closes after the reply.
    if (!withinLimit) reply.header('connection', 'close');
    const answered = screenUpload(request, reply, declared);
    if (!answered) reply.removeHeader('connection');
    else if (withinLimit) request.raw.resume();
    return answered;
  }

  function screenUpload(request: FastifyRequest, reply: FastifyReply, declared: number): FastifyReply | undefined {
    const roundParam = Number((request.params as { round?: string }).round);
    if (!Number.isInteger(roundParam) || roundParam < 0)
      return refuse(request, reply, UPDATE_REJECTIONS.malformed, 'the round in the path is not a non-negative integer');
    if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
      return reply.code(415).send({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `an update is sent as application/octet-stream (the safetensors bytes), not ${request.headers['content-type'] ?? 'without a content type'}`,
      });
    }
    const headerValue = request.headers[UPDATE_HEADER];
    if (typeof headerValue !== 'string' || headerValue.length === 0 || headerValue.length > 8192)
      return refuse(
        request,
        reply,
        UPDATE_REJECTIONS.malformed,
        `${UPDATE_HEADER} header is missing or longer than 8192 characters`,
      );
    let envelope: unknown;
    try {
      envelope = JSON.parse(Buffer.from(headerValue, 'base64').toString('utf8'));
    } catch {
      return refuse(request, reply, UPDATE_REJECTIONS.malformed, `${UPDATE_HEADER} is not base64-encoded JSON`);
    }
    const verdict = intakeUpdate(
      { stage: 'header', roundInPath: roundParam, envelope, declaredBytes: declared },
      intakeContext(),
    );
    if (verdict.verdict === 'rejected') return refuse(request, reply, verdict.reason, verdict.message, verdict.siteId);
    if (verdict.verdict === 'resent') {
      // The first delivery may have been acknowledged just before a crash that left its round unclosed.
      runner().updateAccepted(verdict.round);
      return reply.send({ accepted: true as const, duplicate: true, round: verdict.round, siteId: verdict.siteId });
    }
    if (verdict.verdict !== 'admitted') throw new Error(`unexpected ${verdict.verdict} verdict on an update's header`);
    const { header } = verdict;
    if (!gate.tryEnter(header.siteId, Number.isFinite(declared) ? declared : config.limits.maxPayloadBytes)) {
      request.log.warn(
        { siteId: header.siteId, bytesInFlight: gate.bytesInFlight },
        'upload deferred: too much in flight',
      );
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({
          code: 'BUSY',
          message: `too many uploads in flight (or one from site "${header.siteId}" already); retry in ${RETRY_AFTER_SECONDS} s`,
        });
    }
    admitted.set(request, { envelope, siteId: header.siteId });
    return undefined;
  }

  typed.put(
    '/rounds/:round/updates',
    {
      bodyLimit: config.limits.maxPayloadBytes,
      onRequest: admitUpload,
      onResponse: async (request) => release(request),
      onRequestAbort: async (request) => release(request),
      schema: {
        params: Type.Object({ round: Type.Integer({ minimum: 0 }) }),
        response: {
          200: UpdateAcceptedSchema,
          '4xx': ErrorReplySchema,
          '5xx': ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const { envelope, siteId } = admitted.get(request)!;
      const payload = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verdict = intakeUpdate(
        { stage: 'body', roundInPath: request.params.round, envelope, payload },
        intakeContext(),
      );
      if (verdict.verdict === 'rejected')
        return refuse(request, reply, verdict.reason, verdict.message, verdict.siteId ?? siteId);
      if (verdict.verdict !== 'accepted') throw new Error(`unexpected ${verdict.verdict} verdict on an update's body`);
      const { round, header, norm } = verdict;
      await store.recordUpdate({
        round,
        siteId: header.siteId,
        numExamples: header.numExamples,
        sha256: header.sha256,
        nonce: header.nonce,
        norm,
        metrics: header.metrics,
        payload,
      });
      faultPoint(FAULT_POINTS.afterUpdateCommit);
      counters.accepted++;
      request.log.info(
        { round, siteId: header.siteId, numExamples: header.numExamples, norm, sha256: header.sha256 },
        'update accepted',
      );
      runner().updateAccepted(round);
      return { accepted: true as const, duplicate: false, round, siteId: header.siteId };
    },
  );
}
