import { EmodistillError } from '@emodistill/core';

/**
 * Error codes of the `emodistill` command line: a command line or input the user must change. Every
 * value is unique, here and across the packages (checked by a test). Any of them exits 1 (EXIT_CODES).
 */
export const CLI_ERRORS = {
  /** A file to write (`--out`, `--json-out`, …) is in a missing or read-only directory, or is a directory. */
  outputNotWritable: 'OUTPUT_NOT_WRITABLE',
  /** A demo/simulate working folder is a file, has no parent, or holds files no earlier run made. */
  runFolderRefused: 'RUN_FOLDER_REFUSED',
  /** An option that another option, the input format or the config makes necessary is missing. */
  missingOption: 'MISSING_OPTION',
  /** Options that exclude each other were given together. */
  conflictingOptions: 'CONFLICTING_OPTIONS',
  /** A feature set given (or the training side of a split) has no rows. */
  noRows: 'NO_ROWS',
  /** A training set has no rows of one of its classes. */
  classWithoutRows: 'CLASS_WITHOUT_ROWS',
  /** Test or audit-holdout speakers also occur in the training or member data. */
  speakerOverlap: 'SPEAKER_OVERLAP',
  /** A site config names no auditHoldoutSpeakers, so the site cannot be audited. */
  noHoldoutSpeakers: 'NO_HOLDOUT_SPEAKERS',
  /** The audited bundle or synthetic set changed while it was audited: the attestation would name other bytes. */
  auditedFileChanged: 'AUDITED_FILE_CHANGED',
  /** A site id or public key the coordinator would refuse (`sites add`, `federation init --sites/--site-keys`). */
  invalidSiteArgument: 'INVALID_SITE_ARGUMENT',
  /** The attestation could not be sent: no coordinator answered at the site config's URL. */
  attestationUndelivered: 'ATTESTATION_UNDELIVERED',
  /** The coordinator answered the attestation with an error (its reply's code and message follow). */
  attestationRefused: 'ATTESTATION_REFUSED',
  /** `site audit` could not fetch the federation's audit policy, or it was not signed by the pinned coordinator key. */
  releasePolicyUnavailable: 'RELEASE_POLICY_UNAVAILABLE',
  /** The bundle `coordinator export` received carries no valid signature (unsigned, or altered on the way). */
  exportUnsigned: 'EXPORT_UNSIGNED',
  /** `coordinator export --max-epsilon`: a training site spent more ε than allowed, or trained without DP. */
  privacyBudgetNotMet: 'PRIVACY_BUDGET_NOT_MET',
  /** `federation init` would overwrite a key or kit file (an earlier run's): keys are never overwritten. */
  kitExists: 'KIT_EXISTS',
  /** The TLS certificate and key given to `federation init` are unreadable, not a pair, or expired. */
  tlsFilesUnusable: 'TLS_FILES_UNUSABLE',
  /** `dashboard` cannot listen on its port of 127.0.0.1 (taken by another process, or not allowed). */
  dashboardListenFailed: 'DASHBOARD_LISTEN_FAILED',
  /** The coordinator answered an admin request with a reply this CLI cannot read (a different version?). */
  unexpectedReply: 'UNEXPECTED_REPLY',
  /** The demo's corpus generator (tools/ of the repository) is not installed. */
  demoToolsMissing: 'DEMO_TOOLS_MISSING',
  /** A site's audit in the demo failed (its log is named). */
  demoAuditFailed: 'DEMO_AUDIT_FAILED',
} as const;

export type CliErrorCode = (typeof CLI_ERRORS)[keyof typeof CLI_ERRORS];

/** A command refused; carries one of CLI_ERRORS. */
export class CliError extends EmodistillError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CliError';
  }
}
