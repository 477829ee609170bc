import { describe, expect, it } from 'vitest';
import { formatChaosReport, runChaos } from './chaos-harness.ts';

/*
 * The chaos harness (npm run bench:chaos) at its smallest: real coordinator and site processes,
 * three SIGKILLs aimed at aggregation (before the version write, with the version's file written
 * and its row not, before the next round is announced), then an uninterrupted run to compare with.
 * Random and upload kills stay in the full benchmark, which keeps this test short and its kills
 * where they are known to land.
 */
describe('bench:chaos', () => {
  it('SIGKILLs the coordinator three times during aggregation: no acknowledged update lost, no restart waits for the deadline, weights equal an uninterrupted run', async () => {
    // arrange
    const options = { kills: 3, aggregationKills: 3, uploadKills: 0, rounds: 4, localSteps: 10, closeLimitSeconds: 20 };

    // act
    const report = await runChaos(options);

    // assert
    expect(report.checks.filter((check) => !check.ok), formatChaosReport(report)).toEqual([]);
    expect(report.killCounts).toMatchObject({ total: 3, aggregation: 3, aggregationLanded: 3 });
    expect(report.acknowledgements).toMatchObject({ acknowledged: 3 * 5, lost: 0, notInVersion: 0 });
    expect(report.maxTimeToCloseSeconds).toBeLessThan(20);
    expect(report.interrupted.weightsSha256).toBe(report.reference.weightsSha256);
  }, 180_000);
});
