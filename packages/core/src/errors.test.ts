import { describe, expect, it } from 'vitest';
import { EmodistillError, ERROR_CODES, toEmodistillError } from './errors.js';

describe('ERROR_CODES', () => {
  it('has unique values', () => {
    // arrange
    const values = Object.values(ERROR_CODES);

    // act
    const unique = new Set(values);

    // assert
    expect(unique.size).toBe(values.length);
  });

  it('uses SCREAMING_SNAKE_CASE values', () => {
    // arrange / act / assert
    for (const value of Object.values(ERROR_CODES)) expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('EmodistillError', () => {
  it('is an Error carrying a code, a message and an optional cause', () => {
    // arrange
    const cause = new Error('disk full');

    // act
    const error = new EmodistillError(ERROR_CODES.corpusLayout, 'cannot list /data', { cause });

    // assert
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('EmodistillError');
    expect(error.code).toBe('CORPUS_LAYOUT');
    expect(error.message).toBe('cannot list /data');
    expect(error.cause).toBe(cause);
  });
});

describe('toEmodistillError', () => {
  it('returns an EmodistillError unchanged', () => {
    // arrange
    const original = new EmodistillError(ERROR_CODES.manifestRow, 'row 3: empty "emotion"');

    // act
    const result = toEmodistillError(original);

    // assert
    expect(result).toBe(original);
    expect(result.code).toBe('MANIFEST_ROW');
  });

  it("returns another package's coded error (a subclass with its own codes) unchanged", () => {
    // arrange
    const OTHER_ERRORS = { refused: 'OTHER_REFUSED' } as const;
    class OtherError extends EmodistillError<(typeof OTHER_ERRORS)[keyof typeof OTHER_ERRORS]> {}
    const original = new OtherError(OTHER_ERRORS.refused, 'coordinator refused site "a"');

    // act
    const result = toEmodistillError(original);

    // assert
    expect(result).toBe(original);
    expect(result).toBeInstanceOf(EmodistillError);
    expect(result.code).toBe('OTHER_REFUSED');
  });

  it('wraps any other Error as INTERNAL, keeping its message and the original as cause', () => {
    // arrange
    const original = new TypeError('x is undefined');

    // act
    const result = toEmodistillError(original);

    // assert
    expect(result).toBeInstanceOf(EmodistillError);
    expect(result.code).toBe(ERROR_CODES.internal);
    expect(result.message).toBe('x is undefined');
    expect(result.cause).toBe(original);
  });

  it('wraps thrown non-errors as INTERNAL with their text', () => {
    // arrange / act
    const fromString = toEmodistillError('boom');
    const fromNumber = toEmodistillError(42);

    // assert
    expect([fromString.code, fromString.message]).toEqual(['INTERNAL', 'boom']);
    expect([fromNumber.code, fromNumber.message]).toEqual(['INTERNAL', '42']);
  });
});
