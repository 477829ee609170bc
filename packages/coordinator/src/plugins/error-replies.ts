import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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
      const where = error.validationContext
        ? `${error.validationContext}${error.validation?.[0]?.instancePath ?? ''}: `
        : '';
      const detail = error.validation?.[0]?.message ?? error.message;
      return reply.code(known.status).send({ code: known.code, message: `${where}${detail}` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply
        .code(status)
        .send({ code: /^[A-Z_]+$/.test(error.code ?? '') ? error.code : 'BAD_REQUEST', message: error.message });
    request.log.error({ err: error, path: request.url }, 'internal error');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; the coordinator logged it' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

/**
 * Requests node's HTTP parser cannot read (bad framing, Content-Length, version or header) never
 * reach a route: answer them in the same `{ code, message }` shape and close the connection.
 */
export function answerMalformedHttp(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({
    code: 'MALFORMED',
    message: `malformed HTTP request (${error.code ?? 'parse error'})`,
  });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** For routes that take no body: anything sent is refused rather than silently ignored. */
export async function refuseAnyBody(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const body = request.body;
  const empty =
    body === undefined ||
    body === null ||
    (typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0) ||
    (Buffer.isBuffer(body) && body.length === 0);
  return empty
    ? undefined
    : reply
        .code(400)
        .send({ code: 'MALFORMED', message: `${request.method} ${request.url.split('?')[0]} takes no body` });
}
