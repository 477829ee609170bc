import { EmodistillError } from '@emodistill/core';

/**
 * Error codes of @emodistill/privacy-audit: data an audit cannot be run on. Every value is unique,
 * here and across the packages (checked by tests).
 */
export const PRIVACY_AUDIT_ERRORS = {
  /** The synthetic, member or holdout set has no rows. */
  emptySet: 'AUDIT_SET_EMPTY',
  /** The member set has fewer than 2 speakers: the speaker-ID probes need at least 2. */
  tooFewMemberSpeakers: 'TOO_FEW_MEMBER_SPEAKERS',
} as const;

export type PrivacyAuditErrorCode = (typeof PRIVACY_AUDIT_ERRORS)[keyof typeof PRIVACY_AUDIT_ERRORS];

/** A privacy audit refused before it ran; carries one of PRIVACY_AUDIT_ERRORS. */
export class PrivacyAuditError extends EmodistillError<PrivacyAuditErrorCode> {
  constructor(code: PrivacyAuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PrivacyAuditError';
  }
}
