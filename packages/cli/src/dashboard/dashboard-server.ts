import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CLI_ERRORS, CliError } from '../errors.js';
import type { DashboardPage } from './dashboard-page.js';

/** The only interface the dashboard listens on: it is for the operator at this machine. */
export const DASHBOARD_HOST = '127.0.0.1';

export interface DashboardServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  readonly page: DashboardPage;
  /** What the page shows: called every `refreshMs` while a page is open, never twice at once. */
  readonly snapshot: () => Promise<unknown>;
  /** Milliseconds between snapshots (default 2000). */
  readonly refreshMs?: number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

export interface DashboardServer {
  /** The page's address with its token, e.g. http://127.0.0.1:8471/?token=… */
  readonly url: string;
  close(): Promise<void>;
}

/** Headers of every answer: nothing cached, sniffed, framed or sent on as a referrer (the URL holds the token). */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Whether `given` is the token, in time independent of where they differ (both hashed to equal length first). */
function tokenMatches(given: string | null, token: string): boolean {
  return given !== null && timingSafeEqual(sha256(given), sha256(token));
}

/**
 * Serves the read-only dashboard on 127.0.0.1 only: `/` (the page) and `/events` (server-sent
 * snapshots). Every request must carry the random token of the printed URL (compared in constant
 * time) and a Host header naming this address (`127.0.0.1:port` or `localhost:port`), so a web
 * page elsewhere cannot read it, even through DNS rebinding. Nothing but GET is answered.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { page, snapshot, log } = options;
  const refreshMs = options.refreshMs ?? 2000;
  const token = randomBytes(32).toString('base64url');
  const streams = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  /** The last snapshot event, for a page that opens between two. */
  let latest: string | undefined;
  let closed = false;

  const broadcast = (event: string): void => {
    latest = event.startsWith('event: snapshot') ? event : latest;
    for (const stream of streams) stream.write(event);
  };
  /** One snapshot, then the next after `refreshMs`, for as long as a page listens. */
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    timer = undefined;
    try {
      broadcast(`event: snapshot\ndata: ${JSON.stringify(await snapshot())}\n\n`);
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'dashboard snapshot failed');
      broadcast(`event: problem\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
    } finally {
      polling = false;
      if (streams.size > 0 && !closed) timer = setTimeout(() => void poll(), refreshMs);
    }
  }

  const refuse = (response: ServerResponse, status: number, text: string): void => {
    response.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) return refuse(response, 403, 'forbidden: wrong Host header');
    if (request.method !== 'GET') return refuse(response, 405, 'method not allowed: the dashboard is read-only');
    const url = new URL(request.url ?? '/', `http://${host}`);
    if (!tokenMatches(url.searchParams.get('token'), token))
      return refuse(response, 403, 'forbidden: open the URL the dashboard printed, with its token');
    if (url.pathname === '/') {
      response.writeHead(200, {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': page.contentSecurityPolicy,
      });
      response.end(page.html);
      return;
    }
    if (url.pathname === '/events') {
      response.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
      response.write(`retry: ${refreshMs}\n\n`);
      if (latest) response.write(latest);
      streams.add(response);
      response.once('close', () => streams.delete(response));
      if (!timer) void poll();
      return;
    }
    refuse(response, 404, 'not found');
  }

  const server = createServer(handle);
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, DASHBOARD_HOST, () => resolve(server.address() as AddressInfo));
  }).catch((error: NodeJS.ErrnoException) => {
    const hint =
      error.code === 'EADDRINUSE' ? ': another process listens there; choose another --port (0: any free one)' : '';
    throw new CliError(
      CLI_ERRORS.dashboardListenFailed,
      `the dashboard cannot listen on ${DASHBOARD_HOST}:${options.port}: ${error.message}${hint}`,
      { cause: error },
    );
  });
  allowedHosts = new Set([`${DASHBOARD_HOST}:${address.port}`, `localhost:${address.port}`]);
  log.info({ port: address.port }, 'dashboard listening');
  return {
    url: `http://${DASHBOARD_HOST}:${address.port}/?token=${token}`,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const stream of streams) stream.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
