import { describe, expect, it } from 'vitest';
import { EmodistillError, toEmodistillError } from '@emodistill/core';
import { SITE_AGENT_ERRORS, SiteAgentError } from './errors.js';

describe('SITE_AGENT_ERRORS', () => {
  it('has unique SCREAMING_SNAKE_CASE values', () => {
    // arrange
    const values = Object.values(SITE_AGENT_ERRORS);

    // act
    const unique = new Set(values);

    // assert
    expect(unique.size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('SiteAgentError', () => {
  it('is an EmodistillError with a site agent code, passed through toEmodistillError unchanged', () => {
    // arrange / act
    const error = new SiteAgentError(SITE_AGENT_ERRORS.updateRefused, 'update for round 3 refused: HTTP 409');

    // assert
    expect(error).toBeInstanceOf(EmodistillError);
    expect([error.name, error.code, error.message]).toEqual([
      'SiteAgentError',
      'UPDATE_REFUSED',
      'update for round 3 refused: HTTP 409',
    ]);
    expect(toEmodistillError(error)).toBe(error);
  });
});
