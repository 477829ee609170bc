import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epsilonFromRdp, epsilonOf, rdpCurve, resolveDistillConfig, type FeatureSet } from '@emodistill/core';
import { SITE_AGENT_ERRORS } from './errors.js';
import {
  planPrivateStatistics,
  planPrivateTraining,
  readPrivacyLedger,
  recordPrivateTraining,
} from './privacy-ledger.js';

/** 4,800 rows of 60 speakers (80 each): only the row and speaker counts matter to the accountant. */
const SET = {
  ids: Array.from({ length: 4800 }, (_, i) => `u${i}`),
  speakers: Array.from({ length: 4800 }, (_, i) => `s${i % 60}`),
} as unknown as FeatureSet;
const PRIVATE = resolveDistillConfig({
  featureMatchingWeight: 0,
  softmaxMatchingWeight: 0,
  batchSampling: 'poisson',
  dpClipNorm: 1,
  dpNoiseMultiplier: 1.5,
});

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-ledger-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the site privacy ledger', () => {
  it('composes its rounds: 5 rounds of 400 steps spend what one run of 2,000 steps does', async () => {
    // arrange
    const path = join(dir, 'compose.json');
    let ledger = await readPrivacyLedger(path, 'site-a');

    // act
    for (let round = 1; round <= 5; round++) {
      const planned = planPrivateTraining(
        { round, localSteps: 400, distill: PRIVATE, set: SET, maxEpsilon: 10 },
        ledger,
      )!;
      ledger = await recordPrivateTraining(path, ledger, planned.entry);
    }
    const reread = await readPrivacyLedger(path, 'site-a');
    const spent = planPrivateTraining({ round: 6, localSteps: 0, distill: PRIVATE, set: SET }, reread)!.spent;

    // assert: 10,000 critic steps at q = 64/4800, σ = 1.5 → ε ≈ 5.40; per speaker 80 times that
    expect(reread.entries).toHaveLength(5);
    const whole = epsilonOf({ samplingRate: 64 / 4800, noiseMultiplier: 1.5, steps: 10000 }, 1e-5).epsilon;
    expect(spent.epsilonUtterance).toBeCloseTo(whole, 9);
    expect(spent.epsilonUtterance).toBeCloseTo(5.4, 1);
    expect(spent.epsilonSpeaker).toBeCloseTo(80 * whole, 6);
  });

  it('refuses a round that would pass the budget, and any non-private round under a budget, before recording it', async () => {
    // arrange
    const path = join(dir, 'budget.json');
    let ledger = await readPrivacyLedger(path, 'site-a');
    const round = (n: number, maxEpsilon?: number) =>
      planPrivateTraining({ round: n, localSteps: 1000, distill: PRIVATE, set: SET, maxEpsilon }, ledger);

    // act
    ledger = await recordPrivateTraining(path, ledger, round(1, 4.5)!.entry);

    // assert: 5,000 critic steps fit in ε 4.5, 10,000 do not
    expect(() => round(2, 4.5)).toThrow(
      expect.objectContaining({
        code: SITE_AGENT_ERRORS.privacyBudgetExceeded,
        message: expect.stringMatching(
          /round 2 would take this site's ε to 5\.\d\d per utterance .* above its privacy.maxEpsilon 4\.5/,
        ),
      }),
    );
    expect(() =>
      planPrivateTraining(
        { round: 2, localSteps: 10, distill: resolveDistillConfig({}), set: SET, maxEpsilon: 4.5 },
        ledger,
      ),
    ).toThrow(/without differential privacy/);
    expect(
      planPrivateTraining({ round: 2, localSteps: 10, distill: resolveDistillConfig({}), set: SET }, ledger),
    ).toBeUndefined();
    expect((await readPrivacyLedger(path, 'site-a')).entries).toHaveLength(1);
  });

  it('reads a ledger from before entries had a kind, and adds round 0’s private moments to its spend', async () => {
    // arrange: a training entry as earlier site agents wrote it (no kind)
    const path = join(dir, 'old.json');
    const training = {
      round: 1,
      samplingRate: 64 / 4800,
      noiseMultiplier: 1.5,
      steps: 2000,
      at: '2026-01-01T00:00:00.000Z',
    };
    await writeFile(path, JSON.stringify({ version: 1, siteId: 'site-a', entries: [training] }));
    const ledger = await readPrivacyLedger(path, 'site-a');

    // act
    const planned = planPrivateStatistics(
      { round: 0, noiseMultiplier: 7, delta: 1e-5, set: SET, maxEpsilon: 10 },
      ledger,
    );
    const recorded = await recordPrivateTraining(path, ledger, planned.entry);

    // assert: the moments are 5 Gaussian releases at σ 7, composed with the training by their RDP curves
    expect(planned.entry).toMatchObject({
      round: 0,
      kind: 'statistics',
      samplingRate: 1,
      noiseMultiplier: 7,
      steps: 5,
    });
    const curves = [rdpCurve(training), rdpCurve({ samplingRate: 1, noiseMultiplier: 7, steps: 5 })];
    const both = epsilonFromRdp(
      curves[0]!.map((rdp, i) => rdp + curves[1]![i]!),
      1e-5,
    ).epsilon;
    expect(planned.spent.epsilonUtterance).toBeCloseTo(both, 9);
    expect(both).toBeGreaterThan(epsilonOf(training, 1e-5).epsilon);
    expect((await readPrivacyLedger(path, 'site-a')).entries).toEqual(recorded.entries);
    expect(() =>
      planPrivateStatistics({ round: 0, noiseMultiplier: 7, delta: 1e-5, set: SET, maxEpsilon: both - 0.01 }, ledger),
    ).toThrow(expect.objectContaining({ code: SITE_AGENT_ERRORS.privacyBudgetExceeded }));
  });

  it('refuses a ledger of another site, or one that does not parse, rather than start over', async () => {
    // arrange
    const path = join(dir, 'other.json');
    await recordPrivateTraining(path, await readPrivacyLedger(path, 'site-b'), {
      round: 1,
      samplingRate: 0.1,
      noiseMultiplier: 1,
      steps: 5,
      at: '2026-01-01T00:00:00.000Z',
    });
    const truncated = join(dir, 'truncated.json');
    await writeFile(truncated, (await readFile(path, 'utf8')).slice(0, 40));

    // act / assert
    await expect(readPrivacyLedger(path, 'site-a')).rejects.toThrow(/it is site site-b's, not site-a's/);
    await expect(readPrivacyLedger(truncated, 'site-b')).rejects.toMatchObject({
      code: SITE_AGENT_ERRORS.privacyLedgerUnreadable,
      message: expect.stringMatching(/truncated\.json cannot be used \(it is not JSON\)/),
    });
  });
});
