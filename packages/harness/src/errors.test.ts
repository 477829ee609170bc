import { describe, expect, it } from 'vitest';
import { EmodistillError, toEmodistillError } from '@emodistill/core/federation';
import { HARNESS_ERRORS, HarnessError } from './errors.js';

describe('HARNESS_ERRORS', () => {
  it('has unique SCREAMING_SNAKE_CASE values', () => {
    // arrange
    const values = Object.values(HARNESS_ERRORS);

    // act
    const unique = new Set(values);

    // assert
    expect(unique.size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('HarnessError', () => {
  it('is an EmodistillError with a harness code, passed through toEmodistillError unchanged', () => {
    // arrange
    const cause = new Error('ECONNREFUSED');

    // act
    const error = new HarnessError(
      HARNESS_ERRORS.coordinatorUnreachable,
      'cannot reach the coordinator at http://127.0.0.1:9',
      { cause },
    );

    // assert
    expect(error).toBeInstanceOf(EmodistillError);
    expect([error.name, error.code, error.message, error.cause]).toEqual([
      'HarnessError',
      'COORDINATOR_UNREACHABLE',
      'cannot reach the coordinator at http://127.0.0.1:9',
      cause,
    ]);
    expect(toEmodistillError(error)).toBe(error);
  });
});
