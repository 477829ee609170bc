import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { canonicalBytes, checkMessage, validateUpdate, verifyBytes, type UpdateRejection } from '@emodistill/core';
import type { CoordinatorStore } from './store/store.js';

export interface AppOptions {
  readonly store: CoordinatorStore;
  /** Tensor names and shapes of the global generator: every update must match. */
  readonly layout: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly maxPayloadBytes: number;
  readonly maxUpdateNorm: number;
  /** pino options or false (tests). */
  readonly logger?: boolean | object;
}

const ErrorReply = Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false });
export const UPDATE_HEADER = 'x-emodistill-update';

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
};

/**
 * The coordinator's HTTP API (never listens: server.ts does). Updates arrive as a binary body with
 * the signed envelope in the `x-emodistill-update` header (base64 JSON); nothing is stored unless
 * every check passes, and the reply is sent only after the update is on disk.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.maxPayloadBytes }).withTypeProvider<TypeBoxTypeProvider>();
  const { store } = options;
  const counters = { accepted: 0, rejected: new Map<string, number>() };
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: options.maxPayloadBytes }, (_request, body, done) => done(null, body));
  app.addHook('onClose', async () => store.close());

  app.get('/health', { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/status',
    {
      schema: {
        response: {
          200: Type.Object({
            round: Type.Union([Type.Integer(), Type.Null()]),
            state: Type.Union([Type.String(), Type.Null()]),
            baseVersion: Type.Union([Type.Integer(), Type.Null()]),
            deadline: Type.Union([Type.String(), Type.Null()]),
            acceptedSites: Type.Array(Type.String()),
            allowedSites: Type.Integer(),
          }),
        },
      },
    },
    async () => {
      const round = store.currentRound();
      return {
        round: round?.round ?? null,
        state: round?.state ?? null,
        baseVersion: round?.baseVersion ?? null,
        deadline: round?.deadline ?? null,
        acceptedSites: round ? store.updatesOf(round.round).map((u) => u.siteId) : [],
        allowedSites: store.listSites().filter((s) => !s.revoked).length,
      };
    },
  );

  app.put(
    '/rounds/:round/updates',
    {
      schema: {
        params: Type.Object({ round: Type.Integer({ minimum: 0 }) }),
        headers: Type.Object({ [UPDATE_HEADER]: Type.String({ minLength: 1, maxLength: 8192 }) }),
        response: { 200: Type.Object({ accepted: Type.Literal(true), duplicate: Type.Boolean(), round: Type.Integer(), siteId: Type.String() }), '4xx': ErrorReply },
      },
    },
    async (request, reply) => {
      const payload = request.body as Buffer;
      let envelope: unknown;
      try {
        envelope = JSON.parse(Buffer.from(request.headers[UPDATE_HEADER], 'base64').toString('utf8'));
      } catch {
        return reply.code(400).send({ code: 'MALFORMED', message: `${UPDATE_HEADER} is not base64-encoded JSON` });
      }
      const round = store.currentRound();
      if (!round || round.state !== 'open' || round.round !== request.params.round) {
        return reply.code(409).send({ code: 'WRONG_ROUND', message: round?.state === 'open' ? `round ${round.round} is open, not ${request.params.round}` : 'no round is open' });
      }
      // A site whose acknowledgement was lost re-sends the same signed update: answer as before.
      const checked = checkMessage('signedUpdate', envelope);
      if (checked.ok) {
        const previous = store.updateByNonce(checked.message.header.nonce);
        const publicKey = store.listSites().find((s) => s.siteId === checked.message.header.siteId && !s.revoked)?.publicKey;
        if (previous && publicKey && previous.siteId === checked.message.header.siteId && previous.sha256 === checked.message.header.sha256 && verifyBytes(canonicalBytes(checked.message.header), checked.message.signature, publicKey)) {
          return { accepted: true as const, duplicate: true, round: previous.round, siteId: previous.siteId };
        }
      }
      const verdict = validateUpdate(envelope, payload, {
        sitePublicKeys: new Map(store.listSites().filter((s) => !s.revoked).map((s) => [s.siteId, s.publicKey])),
        round: round.round,
        baseVersion: round.baseVersion,
        seenNonces: { has: (nonce) => store.nonceSeen(nonce) },
        acceptedSites: { has: (siteId) => store.hasUpdate(round.round, siteId) },
        layout: options.layout,
        maxPayloadBytes: options.maxPayloadBytes,
        maxNorm: options.maxUpdateNorm,
      });
      if (!verdict.accepted) {
        counters.rejected.set(verdict.reason, (counters.rejected.get(verdict.reason) ?? 0) + 1);
        request.log.warn({ round: round.round, reason: verdict.reason }, 'update rejected');
        return reply.code(STATUS[verdict.reason]).send({ code: verdict.reason, message: verdict.message });
      }
      const { header, norm } = verdict;
      store.recordUpdate({ round: round.round, siteId: header.siteId, numExamples: header.numExamples, sha256: header.sha256, nonce: header.nonce, norm, metrics: header.metrics, payload });
      counters.accepted++;
      request.log.info({ round: round.round, siteId: header.siteId, numExamples: header.numExamples, norm }, 'update accepted');
      return { accepted: true as const, duplicate: false, round: round.round, siteId: header.siteId };
    },
  );

  app.get('/metrics', async (_request, reply) => {
    const round = store.currentRound();
    const lines = [
      '# HELP emodistill_updates_accepted_total Updates accepted since start.',
      '# TYPE emodistill_updates_accepted_total counter',
      `emodistill_updates_accepted_total ${counters.accepted}`,
      '# HELP emodistill_updates_rejected_total Updates rejected since start, by reason.',
      '# TYPE emodistill_updates_rejected_total counter',
      ...[...counters.rejected].map(([reason, count]) => `emodistill_updates_rejected_total{reason="${reason}"} ${count}`),
      '# HELP emodistill_round Current round number (-1 before the first).',
      '# TYPE emodistill_round gauge',
      `emodistill_round ${round?.round ?? -1}`,
    ];
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
  return app;
}
