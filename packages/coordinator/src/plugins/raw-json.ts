import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Parses JSON bodies in this plugin scope while keeping the exact bytes received: a signed request
 * covers those bytes, not a re-serialisation of the parsed value.
 * @returns the raw body of a request ('' when it had none)
 */
export function keepRawJsonBodies(app: FastifyInstance): (request: FastifyRequest) => string {
  const rawBodies = new WeakMap<FastifyRequest, string>();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (request, body, done) => {
    rawBodies.set(request, body as string);
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(
        Object.assign(new Error('request body is not valid JSON'), { statusCode: 400, code: 'MALFORMED' }),
        undefined,
      );
    }
  });
  return (request) => rawBodies.get(request) ?? '';
}
