import {
  verifyRequest,
  AUTH_HEADER,
  REQUEST_MAX_SKEW_MS,
  type RequestAuth,
  type RequestVerdict,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import type { CoordinatorStore } from '../store/store.js';

export type Authenticate = (
  header: string | undefined,
  request: { method: string; path: string; body?: Uint8Array | string },
  roles: readonly RequestAuth['role'][],
) => RequestVerdict;

/**
 * Verifies signed requests against the live allow-list (sites, not revoked) and the configured
 * operator keys; nonces are claimed in the store, so a request cannot be replayed after a restart.
 */
export function createAuthenticator(store: CoordinatorStore, config: CoordinatorConfig): Authenticate {
  return (header, request, roles) =>
    verifyRequest(header, {
      ...request,
      publicKeyOf: (role, id) => {
        if (!roles.includes(role)) return undefined;
        if (role === 'admin') return config.adminPublicKeys.includes(id) ? id : undefined;
        return store.listSites().find((s) => s.siteId === id && !s.revoked)?.publicKey;
      },
      claimNonce: (nonce, time) => store.claimRequestNonce(nonce, time, new Date(Date.now() - 2 * REQUEST_MAX_SKEW_MS)),
    });
}

export { AUTH_HEADER };
