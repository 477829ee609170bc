import { describe, expect, it } from 'vitest';
import { createRefusalLog } from './refusal-log.js';

const refusal = (reason: string, round: number | null = 3, message = `refused: ${reason}`) => ({
  time: '2030-01-01T00:00:00.000Z',
  round,
  reason,
  message,
});

describe('createRefusalLog', () => {
  it('counts refusals by reason per site and unattributed, the newest first, and totals them all', () => {
    // arrange
    const log = createRefusalLog();

    // act
    log.record(refusal('BAD_SIGNATURE'), 'site-a');
    log.record(refusal('NORM_EXCEEDED'), 'site-a');
    log.record(refusal('BAD_SIGNATURE'), 'site-a');
    log.record(refusal('UNKNOWN_SITE', null));

    // assert
    expect(log.ofSite('site-a')).toMatchObject({ total: 3, byReason: { BAD_SIGNATURE: 2, NORM_EXCEEDED: 1 } });
    expect(log.ofSite('site-a').recent.map((r) => r.reason)).toEqual([
      'BAD_SIGNATURE',
      'NORM_EXCEEDED',
      'BAD_SIGNATURE',
    ]);
    expect(log.ofSite('site-b')).toEqual({ total: 0, byReason: {}, recent: [] });
    expect(log.unattributed()).toEqual({
      total: 1,
      byReason: { UNKNOWN_SITE: 1 },
      recent: [refusal('UNKNOWN_SITE', null)],
    });
    expect(Object.fromEntries(log.totals())).toEqual({ BAD_SIGNATURE: 2, NORM_EXCEEDED: 1, UNKNOWN_SITE: 1 });
  });

  it('keeps only the latest refusals of each sender and shortens long messages, while counting every one', () => {
    // arrange
    const log = createRefusalLog(2);

    // act
    for (let round = 0; round < 5; round++) log.record(refusal('WRONG_ROUND', round, 'x'.repeat(1000)), 'site-a');

    // assert
    const summary = log.ofSite('site-a');
    expect(summary.total).toBe(5);
    expect(summary.recent.map((r) => r.round)).toEqual([4, 3]);
    expect(summary.recent[0]!.message).toHaveLength(300);
  });
});
