import { AUTH_HEADER, EmodistillError, ERROR_CODES, readKeyFile, signRequest, encodeKey } from '@emodistill/core';
import { Option, type Command } from 'commander';

export interface AdminFlags {
  url: string;
  adminKey: string;
}

/** --url and --admin-key, with environment fallbacks so an operator need not repeat them. */
export function addAdminOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'coordinator base URL')
        .env('EMODISTILL_COORDINATOR_URL')
        .default('http://127.0.0.1:8470'),
    )
    .addOption(
      new Option('--admin-key <file>', "operator key file (its public key is in the coordinator's adminPublicKeys)")
        .env('EMODISTILL_ADMIN_KEY')
        .makeOptionMandatory(),
    );
}

/**
 * Calls the coordinator's admin API with a request signed by the operator's key.
 * @returns the parsed JSON reply, or the raw bytes when `binary`
 */
export async function adminRequest(
  flags: AdminFlags,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  binary = false,
): Promise<unknown> {
  const keys = await readKeyFile(flags.adminKey);
  const text = body === undefined ? '' : JSON.stringify(body);
  const url = `${flags.url.replace(/\/$/, '')}${path}`;
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
    });
  } catch (error) {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `cannot reach the coordinator at ${flags.url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
    );
  }
  if (!response.ok) {
    const reply = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `coordinator refused ${method} ${path}: HTTP ${response.status} ${reply.code ?? ''} ${reply.message ?? ''}`.trim(),
    );
  }
  return binary ? new Uint8Array(await response.arrayBuffer()) : response.json();
}
