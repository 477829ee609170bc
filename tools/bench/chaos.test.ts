import { describe, expect, it } from 'vitest';
import { formatChaosReport, runChaos } from './chaos-harness.ts';

/*
 * The chaos harness (npm run bench:chaos) at its smallest: real coordinator and site processes,
 * two SIGKILLs aimed at aggregation (before the version write, with the version's file written
 * and its row not) and one right after an update's commit (with group commit it may land while
 * the sites download the next model, which they must retry), then an uninterrupted run to compare
 * with. Random kills stay in the full benchmark.
 */
describe('bench:chaos', () => {
  it('SIGKILLs the coordinator three times (twice during aggregation, once after an update commit): no acknowledged update lost, no restart waits for the deadline, weights equal an uninterrupted run', async () => {
    // arrange
    const options = { kills: 3, aggregationKills: 2, uploadKills: 1, rounds: 4, localSteps: 10, closeLimitSeconds: 20 };

    // act
    const report = await runChaos(options);

    // assert
    expect(
      report.checks.filter((check) => !check.ok),
      formatChaosReport(report),
    ).toEqual([]);
    expect(report.killCounts).toMatchObject({ total: 3, aggregation: 2, aggregationLanded: 2 });
    expect(report.acknowledgements).toMatchObject({ acknowledged: 3 * 5, lost: 0, notInVersion: 0 });
    expect(report.maxTimeToCloseSeconds).toBeLessThan(20);
    expect(report.interrupted.weightsSha256).toBe(report.reference.weightsSha256);
  }, 180_000);
});
