import { AUTH_HEADER, readErrorReply, readKeyFile, signRequest, encodeKey } from '@emodistill/core/federation';
import { HARNESS_ERRORS, HarnessError } from './errors.js';

/** Where the coordinator's admin API is and which operator key signs the requests. */
export interface AdminEndpoint {
  /** The coordinator's base URL. */
  readonly url: string;
  /** The operator's key file (its public key is in the coordinator's adminPublicKeys). */
  readonly adminKey: string;
  /** How long a request may wait for the answer; default ADMIN_REQUEST_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/** How long an admin request may wait for the coordinator's answer. */
const ADMIN_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Calls the coordinator's admin API with a request signed by the operator's key.
 * @returns the parsed JSON reply, or the raw bytes when `binary`
 */
export async function adminRequest(
  endpoint: AdminEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  binary = false,
): Promise<unknown> {
  const keys = await readKeyFile(endpoint.adminKey);
  const text = body === undefined ? '' : JSON.stringify(body);
  const url = `${endpoint.url.replace(/\/$/, '')}${path}`;
  const timeoutMs = endpoint.timeoutMs ?? ADMIN_REQUEST_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        [AUTH_HEADER]: signRequest(
          { role: 'admin', id: encodeKey(keys.publicKey), method, path, body: text },
          keys.secretKey,
        ),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: text }),
      // A coordinator that accepts the connection and never answers must not hang the operator.
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer to ${method} ${path} within ${timeoutMs / 1000} s`
        : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new HarnessError(
      HARNESS_ERRORS.coordinatorUnreachable,
      `cannot reach the coordinator at ${endpoint.url}: ${why}`,
    );
  }
  if (!response.ok) {
    const reply = readErrorReply(await response.json().catch(() => undefined));
    throw new HarnessError(
      HARNESS_ERRORS.adminRequestRefused,
      `coordinator refused ${method} ${path}: HTTP ${response.status} ${reply.code} ${reply.message}`.trim(),
    );
  }
  if (binary) return new Uint8Array(await response.arrayBuffer());
  const reply = await response.text();
  try {
    return JSON.parse(reply) as unknown;
  } catch {
    throw new HarnessError(
      HARNESS_ERRORS.notACoordinator,
      `the server at ${endpoint.url} answered ${method} ${path} with ${response.headers.get('content-type') ?? 'no content type'}, not the coordinator's JSON (it begins ${JSON.stringify(reply.slice(0, 40))}); is it the coordinator's URL?`,
    );
  }
}
