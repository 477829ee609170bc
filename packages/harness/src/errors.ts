import { EmodistillError } from '@emodistill/core/federation';

/**
 * Error codes of @emodistill/harness: a federation run on this machine that went wrong, and the
 * coordinator's admin API. Every value is unique, here and across the packages (checked by tests).
 */
export const HARNESS_ERRORS = {
  /** No `emodistill` executable (node_modules/@emodistill/cli with a bin) above the harness. */
  cliNotFound: 'CLI_NOT_FOUND',
  /** The coordinator process exited, or printed no URL in time, instead of listening. */
  coordinatorStartFailed: 'COORDINATOR_START_FAILED',
  /** A site agent process of the run exited with an error. */
  siteProcessFailed: 'SITE_PROCESS_FAILED',
  /** The run's exported generator is not signed by its coordinator's key. */
  exportNotCoordinatorSigned: 'EXPORT_NOT_COORDINATOR_SIGNED',
  /** An admin request found no coordinator at the URL (connection refused, unknown host, TLS failure). */
  coordinatorUnreachable: 'COORDINATOR_UNREACHABLE',
  /** The coordinator answered an admin request with an error (its reply's code and message follow). */
  adminRequestRefused: 'ADMIN_REQUEST_REFUSED',
  /** The server at the URL answered an admin request with something other than JSON: not a coordinator. */
  notACoordinator: 'NOT_A_COORDINATOR',
} as const;

export type HarnessErrorCode = (typeof HARNESS_ERRORS)[keyof typeof HARNESS_ERRORS];

/** A harness failure; carries one of HARNESS_ERRORS. */
export class HarnessError extends EmodistillError<HarnessErrorCode> {
  constructor(code: HarnessErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'HarnessError';
  }
}
