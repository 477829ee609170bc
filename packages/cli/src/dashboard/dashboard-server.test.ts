import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_ERRORS } from '../errors.js';
import { loadDashboardPage } from './dashboard-page.js';
import { startDashboardServer, type DashboardServer } from './dashboard-server.js';

const log = pino({ level: 'silent' });
const servers: DashboardServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(snapshot: () => Promise<unknown> = async () => ({ round: 1 }), port = 0): Promise<URL> {
  const server = await startDashboardServer({ port, page: await loadDashboardPage(), snapshot, refreshMs: 50, log });
  servers.push(server);
  return new URL(server.url);
}

/** A raw HTTP request to 127.0.0.1 with the Host header given (fetch would not let a test choose it). */
function get(
  url: URL,
  options: { path?: string; host?: string | null; method?: string; until?: RegExp } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port,
        path: options.path ?? `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        // null: no Host header at all
        setHost: false,
        headers: options.host === null ? {} : { host: options.host ?? url.host },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          // An event stream never ends by itself: stop once it carried what the test waits for.
          if (options.until?.test(body)) response.destroy();
        });
        const done = (): void => resolve({ status: response.statusCode!, headers: response.headers, body });
        response.on('end', done);
        response.on('close', done);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('dashboard server', () => {
  it('serves the page on 127.0.0.1 with its token: inline script and style allowed by hash, nothing cached or referred', async () => {
    // arrange
    const url = await start();

    // act
    const page = await get(url);
    const viaLocalhost = await get(url, { host: `localhost:${url.port}` });

    // assert
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script>');
    expect(page.body).not.toMatch(/<script src|<link rel="stylesheet"|https?:\/\/(?!www\.w3\.org)/);
    expect(page.headers['content-security-policy']).toMatch(
      /default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self'/,
    );
    expect(page.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(viaLocalhost.status).toBe(200);
  });

  it('refuses a request without the token, with a wrong one, with a foreign Host header, and anything but GET', async () => {
    // arrange
    const url = await start();
    const token = url.searchParams.get('token')!;
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;

    // act
    const replies = {
      noToken: await get(url, { path: '/' }),
      noTokenEvents: await get(url, { path: '/events' }),
      wrongToken: await get(url, { path: `/?token=${wrong}` }),
      rebound: await get(url, { host: `attacker.example:${url.port}` }),
      otherPort: await get(url, { host: `127.0.0.1:${Number(url.port) + 1}` }),
      noHost: await get(url, { host: null }),
      post: await get(url, { method: 'POST' }),
      unknownPath: await get(url, { path: `/admin?token=${token}` }),
    };

    // assert
    const statuses = Object.fromEntries(Object.entries(replies).map(([name, reply]) => [name, reply.status]));
    expect(statuses).toEqual({
      noToken: 403,
      noTokenEvents: 403,
      wrongToken: 403,
      rebound: 403,
      otherPort: 403,
      // node's HTTP server answers an HTTP/1.1 request without Host itself
      noHost: 400,
      post: 405,
      unknownPath: 404,
    });
    expect(replies.rebound.body).toMatch(/wrong Host header/);
    expect(replies.noToken.body).not.toContain(token);
  });

  it('streams snapshots to an open page, and says so when one cannot be taken', async () => {
    // arrange
    let calls = 0;
    const url = await start(async () => {
      calls++;
      if (calls === 1) return { round: 7, site: '<b>not html</b>' };
      throw new Error('coordinator refused GET /admin/status: HTTP 401');
    });
    const events = `/events?token=${url.searchParams.get('token')}`;

    // act
    const first = await get(url, { path: events, until: /^event: snapshot\n.*\n\n/m });
    const second = await get(url, { path: events, until: /^event: problem\n.*\n\n/m });

    // assert
    expect(first.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(first.body).toBe(`retry: 50\n\nevent: snapshot\ndata: {"round":7,"site":"<b>not html</b>"}\n\n`);
    // a page opened later gets the last snapshot at once, then the news that the next one failed
    expect(second.body).toMatch(/^retry: 50\n\nevent: snapshot\ndata: \{"round":7,/);
    expect(second.body).toContain(
      'event: problem\ndata: {"message":"coordinator refused GET /admin/status: HTTP 401"}\n\n',
    );
  });

  it('names the port when it cannot listen there', async () => {
    // arrange
    const taken = await start();

    // act
    const refused = start(undefined, Number(taken.port));

    // assert
    await expect(refused).rejects.toMatchObject({
      code: CLI_ERRORS.dashboardListenFailed,
      message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${taken.port}: .*choose another --port`)),
    });
  });
});
