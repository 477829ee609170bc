import { describe, expect, it } from 'vitest';
import { EmodistillError, toEmodistillError } from '@emodistill/core';
import { PRIVACY_AUDIT_ERRORS, PrivacyAuditError } from './errors.js';

describe('PRIVACY_AUDIT_ERRORS', () => {
  it('has unique SCREAMING_SNAKE_CASE values', () => {
    // arrange
    const values = Object.values(PRIVACY_AUDIT_ERRORS);

    // act
    const unique = new Set(values);

    // assert
    expect(unique.size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('PrivacyAuditError', () => {
  it('is an EmodistillError with a privacy audit code, passed through toEmodistillError unchanged', () => {
    // arrange / act
    const error = new PrivacyAuditError(PRIVACY_AUDIT_ERRORS.emptySet, 'the holdout set has no rows');

    // assert
    expect(error).toBeInstanceOf(EmodistillError);
    expect([error.name, error.code, error.message]).toEqual([
      'PrivacyAuditError',
      'AUDIT_SET_EMPTY',
      'the holdout set has no rows',
    ]);
    expect(toEmodistillError(error)).toBe(error);
  });
});
