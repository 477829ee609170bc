import { EmodistillError } from '@emodistill/core/federation';

/**
 * Error codes of @emodistill/coordinator: why a coordinator cannot start. Every value is unique,
 * here and across the packages (checked by tests). Failures a site or an operator causes at run time
 * are answered over the wire with core's reply codes instead.
 */
export const COORDINATOR_ERRORS = {
  /** A TLS certificate or key file named by the config (`tls.certFile`, `tls.keyFile`) cannot be read. */
  tlsFileUnreadable: 'TLS_FILE_UNREADABLE',
  /** The config's `dataDir` cannot be created, written or opened as the coordinator's store. */
  dataDirUnusable: 'DATA_DIR_UNUSABLE',
  /** The coordinator cannot listen on the config's `listen` host and port (in use, not allowed, unknown host). */
  listenFailed: 'LISTEN_FAILED',
} as const;

export type CoordinatorErrorCode = (typeof COORDINATOR_ERRORS)[keyof typeof COORDINATOR_ERRORS];

/** A coordinator failure the operator can fix; carries one of COORDINATOR_ERRORS. */
export class CoordinatorError extends EmodistillError<CoordinatorErrorCode> {
  constructor(code: CoordinatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CoordinatorError';
  }
}
