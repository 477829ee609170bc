import { createHash, randomBytes } from 'node:crypto';
import { canonicalBytes, signBytes, verifyBytes } from '../crypto/signing.js';
import { checkMessage, type RequestAuth } from './messages.js';

/** HTTP header (and socket.io handshake field) that carries a base64-encoded RequestAuth. */
export const AUTH_HEADER: string = 'x-emodistill-auth';
/** How far a request's time may be from the verifier's clock; nonces are remembered this long. */
export const REQUEST_MAX_SKEW_MS: number = 5 * 60_000;

const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export interface RequestToSign {
  readonly role: RequestAuth['role'];
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array | string;
}

/** @returns the value of the `x-emodistill-auth` header for this request, signed with `secretKey` */
export function signRequest(request: RequestToSign, secretKey: Uint8Array, now: Date = new Date()): string {
  const unsigned = {
    role: request.role,
    id: request.id,
    method: request.method.toUpperCase(),
    path: request.path,
    bodySha256: sha256Hex(request.body ?? ''),
    time: now.toISOString(),
    nonce: randomBytes(16).toString('hex'),
  };
  const auth: RequestAuth = { ...unsigned, signature: signBytes(canonicalBytes(unsigned), secretKey) };
  return Buffer.from(JSON.stringify(auth)).toString('base64');
}

export interface RequestVerification {
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array | string;
  /** The public key (base64) allowed for this role and id, if any. */
  publicKeyOf(role: RequestAuth['role'], id: string): string | undefined;
  /** Records the nonce and returns false if it was already used (a replayed request). */
  claimNonce(nonce: string, time: Date): boolean;
  readonly now?: Date;
}

export type RequestVerdict =
  | { readonly ok: true; readonly role: RequestAuth['role']; readonly id: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a signed request: well-formed, from an allowed key, signature over this very method,
 * path and body, fresh (within REQUEST_MAX_SKEW_MS) and not replayed. Cheapest checks first.
 */
export function verifyRequest(header: string | undefined, request: RequestVerification): RequestVerdict {
  if (!header) return { ok: false, reason: `missing ${AUTH_HEADER} (requests must be signed)` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return { ok: false, reason: `${AUTH_HEADER} is not base64-encoded JSON` };
  }
  const checked = checkMessage('requestAuth', parsed);
  if (!checked.ok) return { ok: false, reason: checked.reason };
  const { signature, ...unsigned } = checked.message;
  const publicKey = request.publicKeyOf(unsigned.role, unsigned.id);
  if (!publicKey) return { ok: false, reason: `${unsigned.role} "${unsigned.id}" is not allowed` };
  if (!verifyBytes(canonicalBytes(unsigned), signature, publicKey))
    return { ok: false, reason: `signature of ${unsigned.role} "${unsigned.id}" does not verify` };
  if (
    unsigned.method !== request.method.toUpperCase() ||
    unsigned.path !== request.path ||
    unsigned.bodySha256 !== sha256Hex(request.body ?? '')
  ) {
    return { ok: false, reason: 'the signature was made for another request (method, path or body differ)' };
  }
  const time = new Date(unsigned.time);
  const now = request.now ?? new Date();
  if (Number.isNaN(time.getTime()) || Math.abs(now.getTime() - time.getTime()) > REQUEST_MAX_SKEW_MS) {
    return {
      ok: false,
      reason: `request time ${unsigned.time} is more than ${REQUEST_MAX_SKEW_MS / 60_000} minutes from the coordinator's clock ${now.toISOString()}`,
    };
  }
  if (!request.claimNonce(unsigned.nonce, time)) return { ok: false, reason: 'nonce already used (replayed request)' };
  return { ok: true, role: unsigned.role, id: unsigned.id };
}
