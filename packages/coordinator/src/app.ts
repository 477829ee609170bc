import { Type } from '@sinclair/typebox';
import { typeBoxValidatorCompiler, type TypeBoxTypeProvider } from './plugins/typebox-validation.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { PublicStatusSchema, type KeyPair } from '@emodistill/core/federation';
import type { CoordinatorConfig } from './config.js';
import { adminApi } from './plugins/admin.js';
import { createAuthenticator } from './plugins/authenticate.js';
import { attachSiteGateway } from './plugins/site-gateway.js';
import { siteApi, type UpdateCounters } from './plugins/site-api.js';
import { createRefusalLog } from './rounds/refusal-log.js';
import { createRoundRunner, type RoundRunner } from './rounds/round-runner.js';
import type { CoordinatorStore } from './store/store.js';
import { answerMalformedHttp, replyWithCodes } from './plugins/error-replies.js';

const JSON_BODY_LIMIT_BYTES = 64 * 1024;

export interface AppOptions {
  readonly store: CoordinatorStore;
  readonly config: CoordinatorConfig;
  readonly keys: KeyPair;
  /** A pino logger (the CLI's), or none (tests). */
  readonly logger?: FastifyBaseLogger;
  /** PEM certificate and key: serve https/wss. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export interface CoordinatorApp {
  readonly app: FastifyInstance;
  readonly runner: RoundRunner;
}

/**
 * The coordinator: HTTP API (sites, operators, health and metrics), socket.io site sessions and
 * the round runner over the durable store. Never listens (server.ts does); the store is closed
 * with the app.
 */
export function buildCoordinatorApp(options: AppOptions): CoordinatorApp {
  const { store, config, keys } = options;
  // Only the update route takes large bodies (after its signed header is checked); JSON requests are small.
  const serverOptions: FastifyServerOptions = {
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    clientErrorHandler: answerMalformedHttp,
  };
  const app = (options.tls
    ? Fastify({ ...serverOptions, https: options.tls } as FastifyServerOptions)
    : Fastify(serverOptions)) as unknown as FastifyInstance;
  const authenticate = createAuthenticator(store, config);
  const counters: UpdateCounters = { accepted: 0, refusals: createRefusalLog() };
  // The gateway and the runner need each other: the gateway reaches the runner through this getter.
  const late: { runner?: RoundRunner } = {};
  const getRunner = (): RoundRunner => late.runner!;
  const gateway = attachSiteGateway(app, authenticate, getRunner);
  const runner = createRoundRunner({ store, config, keys, log: app.log, transport: gateway });
  late.runner = runner;
  app.addHook('onClose', async () => {
    runner.close();
    store.close();
  });
  replyWithCodes(app);
  app.setValidatorCompiler(typeBoxValidatorCompiler);
  void app.register(siteApi, { store, config, keys, runner: getRunner, authenticate, counters });
  void app.register(adminApi, {
    store,
    keys,
    auditPolicy: config.auditPolicy,
    runner: getRunner,
    gateway,
    authenticate,
    refusals: counters.refusals,
  });

  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get('/health', { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  typed.get(
    '/status',
    {
      schema: {
        response: {
          200: PublicStatusSchema,
        },
      },
    },
    // Public, so it says nothing about which sites take part.
    async () => {
      const status = getRunner().status();
      return {
        round: status.round?.round ?? null,
        kind: status.round?.kind ?? null,
        state: status.round?.state ?? null,
        acceptedUpdates: status.acceptedSites.length,
        latestVersion: status.latestVersion?.version ?? null,
        finished: status.finished,
      };
    },
  );
  typed.get('/metrics', async (_request, reply) => {
    const status = getRunner().status();
    const lines = [
      '# HELP emodistill_updates_accepted_total Updates accepted since start.',
      '# TYPE emodistill_updates_accepted_total counter',
      `emodistill_updates_accepted_total ${counters.accepted}`,
      '# HELP emodistill_updates_rejected_total Updates rejected since start, by reason.',
      '# TYPE emodistill_updates_rejected_total counter',
      ...[...counters.refusals.totals()].map(
        ([reason, count]) => `emodistill_updates_rejected_total{reason="${reason}"} ${count}`,
      ),
      '# HELP emodistill_round Current round number (-1 before the first).',
      '# TYPE emodistill_round gauge',
      `emodistill_round ${status.round?.round ?? -1}`,
      '# HELP emodistill_global_version Latest global generator version (0 before the first).',
      '# TYPE emodistill_global_version gauge',
      `emodistill_global_version ${status.latestVersion?.version ?? 0}`,
      '# HELP emodistill_connected_sites Sites with a live session.',
      '# TYPE emodistill_connected_sites gauge',
      `emodistill_connected_sites ${status.connectedSites.length}`,
    ];
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
  return { app, runner };
}
