import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH_HEADER, generateKeyPair, writeKeyFile } from '@emodistill/core';
import { adminRequest } from './admin-client.js';
import { HARNESS_ERRORS } from './errors.js';

const dir = await mkdtemp(join(tmpdir(), 'emodistill-admin-'));
const adminKey = join(dir, 'admin.key');
await writeKeyFile(adminKey, generateKeyPair());
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('adminRequest', () => {
  it('signs the request and returns the JSON reply; a refusal is an error naming the code', async () => {
    const seen: { method?: string; url?: string; signed: boolean; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, signed: Boolean(request.headers[AUTH_HEADER]), body });
        response.statusCode = request.url === '/admin/refused' ? 409 : 200;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(request.url === '/admin/refused' ? { code: 'E_STATE', message: 'no' } : { ok: 1 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const url = `http://127.0.0.1:${port}/`;
      expect(await adminRequest({ url, adminKey }, 'POST', '/admin/rounds', { rounds: 2 })).toEqual({ ok: 1 });
      expect(seen).toEqual([{ method: 'POST', url: '/admin/rounds', signed: true, body: '{"rounds":2}' }]);
      await expect(adminRequest({ url, adminKey }, 'GET', '/admin/refused')).rejects.toMatchObject({
        code: HARNESS_ERRORS.adminRequestRefused,
        message: 'coordinator refused GET /admin/refused: HTTP 409 E_STATE no',
      });
    } finally {
      server.close();
    }
  });

  it('says when the coordinator cannot be reached', async () => {
    await expect(adminRequest({ url: 'http://127.0.0.1:1', adminKey }, 'GET', '/admin/status')).rejects.toMatchObject({
      code: HARNESS_ERRORS.coordinatorUnreachable,
      message: expect.stringMatching(/^cannot reach the coordinator at http:\/\/127\.0\.0\.1:1: /),
    });
  });

  it('says when the server at the URL is not a coordinator (a reply that is not JSON)', async () => {
    // arrange: a web server that answers every path with a page
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<html>welcome</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // act
    const request = adminRequest({ url, adminKey }, 'GET', '/admin/status').finally(() => server.close());

    // assert
    await expect(request).rejects.toMatchObject({
      code: HARNESS_ERRORS.notACoordinator,
      message: `the server at ${url} answered GET /admin/status with text/html, not the coordinator's JSON (it begins "<html>welcome</html>"); is it the coordinator's URL?`,
    });
  });

  it('gives up on a coordinator that accepts the request and never answers, saying so', async () => {
    // arrange: a server that holds every request open
    const held: import('node:http').ServerResponse[] = [];
    const server = createServer((_request, response) => void held.push(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // act
    const started = performance.now();
    const request = adminRequest({ url, adminKey, timeoutMs: 300 }, 'GET', '/admin/status').finally(() => {
      for (const response of held) response.destroy();
      server.close();
    });

    // assert
    await expect(request).rejects.toMatchObject({
      code: HARNESS_ERRORS.coordinatorUnreachable,
      message: `cannot reach the coordinator at ${url}: no answer to GET /admin/status within 0.3 s`,
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
