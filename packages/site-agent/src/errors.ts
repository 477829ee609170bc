import { EmodistillError } from '@emodistill/core';

/**
 * Error codes of @emodistill/site-agent: why a site cannot take part in a round or in the federation.
 * Every value is unique, here and across the packages (checked by tests).
 */
export const SITE_AGENT_ERRORS = {
  /** The site's feature set has no rows left once its audit-holdout speakers are removed. */
  noTrainingRows: 'NO_TRAINING_ROWS',
  /** The coordinator refused this site's connection (its key is not on the allow-list, or revoked). */
  siteRefused: 'SITE_REFUSED',
  /** The coordinator refused to send a global version (HTTP 4xx). */
  downloadRefused: 'MODEL_DOWNLOAD_REFUSED',
  /** A global version could not be downloaded before the round's deadline (connection lost, coordinator down). */
  downloadFailed: 'MODEL_DOWNLOAD_FAILED',
  /** A downloaded global version is not the one whose sha256 the coordinator signed. */
  modelHashMismatch: 'MODEL_HASH_MISMATCH',
  /** The coordinator refused this site's update for good (HTTP 4xx other than a duplicate). */
  updateRefused: 'UPDATE_REFUSED',
  /** The final global generator cannot be written to the config's `finalBundle`. */
  finalBundleUnwritable: 'FINAL_BUNDLE_UNWRITABLE',
  /** A round would take the site's differential-privacy spending past its privacy.maxEpsilon (or train without DP under a budget). */
  privacyBudgetExceeded: 'PRIVACY_BUDGET_EXCEEDED',
  /** The site's privacy ledger exists but cannot be read or belongs to another site. */
  privacyLedgerUnreadable: 'PRIVACY_LEDGER_UNREADABLE',
  /** The agent was stopped while it downloaded or trained. */
  stopped: 'AGENT_STOPPED',
} as const;

export type SiteAgentErrorCode = (typeof SITE_AGENT_ERRORS)[keyof typeof SITE_AGENT_ERRORS];

/** A site agent failure; carries one of SITE_AGENT_ERRORS. */
export class SiteAgentError extends EmodistillError<SiteAgentErrorCode> {
  constructor(code: SiteAgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SiteAgentError';
  }
}
