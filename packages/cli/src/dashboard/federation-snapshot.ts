import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  AdminStatusSchema,
  ReleaseStateSchema,
  RoundHistorySchema,
  SitesActivitySchema,
  VersionViewSchema,
  type AdminStatus,
  type ReleaseState,
  type RoundHistoryEntry,
  type SitesActivity,
  type VersionView,
} from '@emodistill/core';
import { adminRequest, type AdminEndpoint } from '@emodistill/harness';
import { CLI_ERRORS, CliError } from '../errors.js';

/** Everything the dashboard page shows, as read from the coordinator's admin API at one moment. */
export interface FederationSnapshot {
  readonly coordinatorUrl: string;
  /** When the snapshot was taken (ISO-8601, this machine's clock). */
  readonly takenAt: string;
  readonly status: AdminStatus;
  /** The latest rounds, newest first. */
  readonly rounds: readonly RoundHistoryEntry[];
  readonly sites: SitesActivity;
  readonly release: ReleaseState;
  /** The latest global versions, oldest first. */
  readonly versions: readonly VersionView[];
}

/** Rounds and versions a snapshot holds (older ones stay in `GET /admin/rounds?last=` and `GET /admin/versions`). */
const ROUNDS_SHOWN = 50;
const VERSIONS_SHOWN = 20;

/** An admin GET's reply, checked against the schema the coordinator declares for it. */
async function readAdmin<T extends TSchema>(endpoint: AdminEndpoint, path: string, schema: T): Promise<Static<T>> {
  const reply = await adminRequest(endpoint, 'GET', path);
  if (Value.Check(schema, reply)) return reply;
  const first = Value.Errors(schema, reply).First();
  throw new CliError(
    CLI_ERRORS.unexpectedReply,
    `the coordinator at ${endpoint.url} answered GET ${path} with a reply this CLI cannot read (${first ? `${first.path || '/'}: ${first.message}` : 'unknown shape'}); are the coordinator and the CLI the same version?`,
  );
}

/** Reads the coordinator's status, round history, site activity, release state and versions (admin-signed requests). */
export async function takeFederationSnapshot(endpoint: AdminEndpoint): Promise<FederationSnapshot> {
  const [status, rounds, sites, release, versions] = await Promise.all([
    readAdmin(endpoint, '/admin/status', AdminStatusSchema),
    readAdmin(endpoint, `/admin/rounds?last=${ROUNDS_SHOWN}`, RoundHistorySchema),
    readAdmin(endpoint, '/admin/sites/activity', SitesActivitySchema),
    readAdmin(endpoint, '/admin/release', ReleaseStateSchema),
    readAdmin(endpoint, '/admin/versions', Type.Array(VersionViewSchema)),
  ]);
  return {
    coordinatorUrl: endpoint.url,
    takenAt: new Date().toISOString(),
    status,
    rounds,
    sites,
    release,
    versions: versions.slice(-VERSIONS_SHOWN),
  };
}
