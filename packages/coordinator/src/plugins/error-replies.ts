import type { FastifyError, FastifyInstance } from 'fastify';

/** Fastify's own error codes, in the API's words: the reply's code and status. */
const FRAMEWORK_ERRORS: Readonly<Record<string, { code: string; status: number }>> = {
  FST_ERR_VALIDATION: { code: 'MALFORMED', status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED', status: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED', status: 400 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'OVERSIZED', status: 413 },
};

/**
 * One place that turns whatever escapes a route into a coded reply `{ code, message }`: the
 * client's mistakes (schema, body, content type, size) as 4xx naming the field, anything else as
 * a logged 500 that reveals nothing internal. Unknown routes answer 404 the same way.
 */
export function replyWithCodes(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = FRAMEWORK_ERRORS[error.code];
    if (known) {
      const where = error.validationContext ? `${error.validationContext}${error.validation?.[0]?.instancePath ?? ''}: ` : '';
      const detail = error.validation?.[0]?.message ?? error.message;
      return reply.code(known.status).send({ code: known.code, message: `${where}${detail}` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ code: /^[A-Z_]+$/.test(error.code ?? '') ? error.code : 'BAD_REQUEST', message: error.message });
    request.log.error({ err: error, path: request.url }, 'internal error');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; the coordinator logged it' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
}
