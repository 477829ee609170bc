import { describe, expect, it } from 'vitest';
import { EmodistillError, toEmodistillError } from '@emodistill/core/federation';
import { COORDINATOR_ERRORS, CoordinatorError } from './errors.js';

describe('COORDINATOR_ERRORS', () => {
  it('has unique SCREAMING_SNAKE_CASE values', () => {
    // arrange
    const values = Object.values(COORDINATOR_ERRORS);

    // act
    const unique = new Set(values);

    // assert
    expect(unique.size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('CoordinatorError', () => {
  it('is an EmodistillError with a coordinator code, passed through toEmodistillError unchanged', () => {
    // arrange
    const cause = new Error('EADDRINUSE');

    // act
    const error = new CoordinatorError(COORDINATOR_ERRORS.listenFailed, 'cannot listen on 0.0.0.0:8470', { cause });

    // assert
    expect(error).toBeInstanceOf(EmodistillError);
    expect([error.name, error.code, error.message, error.cause]).toEqual([
      'CoordinatorError',
      'LISTEN_FAILED',
      'cannot listen on 0.0.0.0:8470',
      cause,
    ]);
    expect(toEmodistillError(error)).toBe(error);
  });
});
