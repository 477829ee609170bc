import {
  AUTH_HEADER,
  canonicalBytes,
  checkMessage,
  readKeyFile,
  signRequest,
  verifyBytes,
  type Attestation,
  type AuditPolicy,
  type Verdict,
} from '@emodistill/core';
import type { SiteConfig } from '@emodistill/site-agent';
import { CLI_ERRORS, CliError, type CliErrorCode } from './errors.js';

/** What a site asks its coordinator over HTTP, signed with the site key (`site audit`, `site check`). */

/** The part of a site config a request needs. */
type SiteIdentity = Pick<SiteConfig, 'siteId' | 'keyFile' | 'coordinator'>;

/** A request to the site's coordinator signed with the site key; the reply's JSON, or an error of `code` naming what failed. */
async function siteRequest(
  config: SiteIdentity,
  request: {
    method: 'GET' | 'PUT';
    path: string;
    body?: string;
    what: string;
    unreachable: CliErrorCode;
    refused: CliErrorCode;
  },
): Promise<unknown> {
  const keys = await readKeyFile(config.keyFile);
  const url = `${config.coordinator.url.replace(/\/$/, '')}${request.path}`;
  const body = request.body !== undefined && { body: request.body };
  const response = await fetch(url, {
    method: request.method,
    headers: {
      ...(body && { 'content-type': 'application/json' }),
      [AUTH_HEADER]: signRequest(
        { role: 'site', id: config.siteId, method: request.method, path: request.path, ...body },
        keys.secretKey,
      ),
    },
    ...body,
  }).catch((error: Error & { cause?: Error }) => {
    throw new CliError(
      request.unreachable,
      `cannot reach the coordinator at ${config.coordinator.url} (coordinator.url of the site config) to ${request.what}: ${error.cause?.message ?? error.message}`,
      { cause: error },
    );
  });
  const reply = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok)
    throw new CliError(
      request.refused,
      `coordinator refused the request to ${request.what}: HTTP ${response.status} ${reply.code ?? ''} ${reply.message ?? ''}`.trim(),
    );
  return reply;
}

/** The federation's audit policy, signed by the coordinator whose key the site config pins. */
export async function fetchReleasePolicy(config: SiteIdentity): Promise<AuditPolicy> {
  const reply = await siteRequest(config, {
    method: 'GET',
    path: '/release-policy',
    what: "fetch the federation's audit policy",
    unreachable: CLI_ERRORS.releasePolicyUnavailable,
    refused: CLI_ERRORS.releasePolicyUnavailable,
  });
  const checked = checkMessage('signedReleasePolicy', reply);
  if (!checked.ok)
    throw new CliError(
      CLI_ERRORS.releasePolicyUnavailable,
      `the audit policy from ${config.coordinator.url} is malformed: ${checked.reason}`,
    );
  if (!verifyBytes(canonicalBytes(checked.message.body), checked.message.signature, config.coordinator.publicKey))
    throw new CliError(
      CLI_ERRORS.releasePolicyUnavailable,
      `the audit policy from ${config.coordinator.url} is not signed by coordinator.publicKey of the site config`,
    );
  return checked.message.body.policy;
}

/** Sends a site's signed attestation to its coordinator, which judges it under the federation's policy. */
export async function uploadAttestation(
  config: SiteIdentity,
  attestation: Attestation,
): Promise<{ version: number; verdict: Verdict }> {
  return (await siteRequest(config, {
    method: 'PUT',
    path: '/attestations',
    body: JSON.stringify(attestation),
    what: 'record the attestation',
    unreachable: CLI_ERRORS.attestationUndelivered,
    refused: CLI_ERRORS.attestationRefused,
  })) as { version: number; verdict: Verdict };
}
