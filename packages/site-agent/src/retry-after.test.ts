import { describe, expect, it } from 'vitest';
import { retryAfterMilliseconds } from './retry-after.js';

describe('retryAfterMilliseconds', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    // arrange
    const now = Date.parse('2026-11-29T10:00:00Z');

    // act / assert
    expect(retryAfterMilliseconds('1', now)).toBe(1000);
    expect(retryAfterMilliseconds('0', now)).toBe(0);
    expect(retryAfterMilliseconds('Sun, 29 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMilliseconds('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMilliseconds(null, now)).toBeUndefined();
    expect(retryAfterMilliseconds('soon', now)).toBeUndefined();
    expect(retryAfterMilliseconds('-3', now)).toBeUndefined();
  });
});
