import type { FastifyInstance } from 'fastify';
import { checkMessage, PROTOCOL } from '@emodistill/core/federation';
import { Server, type Socket } from 'socket.io';
import type { RoundRunner, SiteTransport } from '../rounds/round-runner.js';
import type { Authenticate } from './authenticate.js';

const SOCKET_PATH = PROTOCOL.socketPath;

/** A site's session as the gateway last saw it (ISO-8601 times; kept in memory since the coordinator started). */
export interface SiteSession {
  /** When the live session began; null when the site is not connected. */
  readonly connectedSince: string | null;
  /** When the session began or, once it ended, when it ended. */
  readonly changedAt: string;
}

export interface SiteGateway extends SiteTransport {
  /** Drops a site's session (after revocation). */
  disconnect(siteId: string): void;
  /** Sites seen since the coordinator started, by site id. */
  sessions(): ReadonlyMap<string, SiteSession>;
}

/**
 * socket.io sessions of sites: a site proves its identity in the handshake (a signed request for
 * GET /socket.io, fresh nonce each reconnect); the coordinator only sends signed round events.
 * Bulk data never travels here (HTTP does), so socket.io's 1 MB message limit never bites.
 */
export function attachSiteGateway(
  app: FastifyInstance,
  authenticate: Authenticate,
  runner: () => RoundRunner,
): SiteGateway {
  const io = new Server(app.server, { serveClient: false, path: SOCKET_PATH });
  const sockets = new Map<string, Socket>();
  const sessions = new Map<string, SiteSession>();
  const log = app.log.child({ component: 'site-gateway' });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const verdict = authenticate(typeof token === 'string' ? token : undefined, { method: 'GET', path: SOCKET_PATH }, [
      'site',
    ]);
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason, address: socket.handshake.address }, 'site session refused');
      next(new Error(`unauthorised: ${verdict.reason}`));
      return;
    }
    (socket.data as { siteId?: string }).siteId = verdict.id;
    next();
  });
  io.on('connection', (socket) => {
    const siteId = (socket.data as { siteId: string }).siteId;
    const previous = sockets.get(siteId);
    sockets.set(siteId, socket);
    if (previous) previous.disconnect(true);
    const now = new Date().toISOString();
    sessions.set(siteId, { connectedSince: now, changedAt: now });
    log.info({ siteId }, 'site connected');
    socket.on('round-failed', (message: unknown) => {
      const checked = checkMessage('roundFailed', message);
      if (!checked.ok) return void log.warn({ siteId, reason: checked.reason }, 'malformed message from site ignored');
      runner().siteFailed(siteId, checked.message.round, checked.message.reason);
    });
    socket.on('disconnect', (reason) => {
      if (sockets.get(siteId) !== socket) return;
      sockets.delete(siteId);
      sessions.set(siteId, { connectedSince: null, changedAt: new Date().toISOString() });
      log.warn({ siteId, reason }, 'site disconnected');
      runner().siteDisconnected(siteId);
    });
    runner().siteConnected(siteId);
  });
  app.addHook('preClose', async () => {
    io.disconnectSockets(true);
    await new Promise<void>((resolve) => {
      io.close(() => resolve());
    });
  });
  return {
    connectedSites: () => [...sockets.keys()],
    send: (siteId: string, event: string, message: unknown) => void sockets.get(siteId)?.emit(event, message),
    disconnect: (siteId) => sockets.get(siteId)?.disconnect(true),
    sessions: () => sessions,
  };
}
