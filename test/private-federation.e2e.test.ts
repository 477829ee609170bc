import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  epsilonFromRdp,
  privateMomentsMechanism,
  rdpCurve,
  readFeatureSet,
  readGeneratorBundle,
} from '@emodistill/core';
import { setUpFederation, spawnCli, spawnCoordinator } from '@emodistill/harness';
import { adminStatus, cleanupsAfterEach, syntheticCorpus, waitFor } from './federation-fixtures.js';

/*
 * A federation trained with DP-SGD (the round plan's settings), real processes on 127.0.0.1: each
 * site accounts its own rounds in its ledger and reports ε in its signed update; one site's budget
 * stops it before the round that would exceed it (round 0's private moments counted); the global
 * bundle records each site's ε and `coordinator export --max-epsilon` gates on it.
 */

const { cleanups, track } = cleanupsAfterEach();

const PRIVATE_DISTILL = {
  batchSize: 16,
  criticSteps: 2,
  poolSize: 1,
  poolEpochs: 2,
  featureMatchingWeight: 0,
  softmaxMatchingWeight: 0,
  batchSampling: 'poisson',
  dpClipNorm: 1,
  dpNoiseMultiplier: 1,
};
const LOCAL_STEPS = 3;

describe('a federation with differential privacy (real coordinator and site processes)', () => {
  it('accounts each site across rounds, stops a site at its budget, records every ε in the bundle and gates the export on it', async () => {
    // arrange: site-1's budget covers two rounds of its own spending, not three
    const dir = await mkdtemp(join(tmpdir(), 'emodistill-private-'));
    if (!process.env.KEEP_TEST_DIRS) cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const corpus = syntheticCorpus(8);
    let budget = 0;
    const layout = await setUpFederation({
      train: corpus,
      sites: 2,
      dir,
      rounds: 3,
      localSteps: LOCAL_STEPS,
      distill: PRIVATE_DISTILL,
      hiddenUnits: [32],
      noiseDimension: 8,
      minSites: 1,
      privacyBudget: (site) => (site === 0 ? budget : undefined),
    });
    const rows = (await readFeatureSet(layout.sites[0]!.features)).ids.length;
    // Round 0's private moments (σ 7, 5 releases at sampling rate 1), then each round's critic updates.
    const moments = rdpCurve(privateMomentsMechanism(7));
    const spentAfter = (rounds: number): number =>
      epsilonFromRdp(
        rdpCurve({
          samplingRate: 16 / rows,
          noiseMultiplier: 1,
          steps: rounds * LOCAL_STEPS * PRIVATE_DISTILL.criticSteps,
        }).map((rdp, i) => rdp + moments[i]!),
        1e-5,
      ).epsilon;
    budget = (spentAfter(2) + spentAfter(3)) / 2;
    const coordinator = track(await spawnCoordinator(layout.coordinatorConfig, join(dir, 'coordinator.log')));
    await layout.writeSiteConfigs(coordinator.url);
    const agents = layout.sites.map((site) =>
      track(
        spawnCli(
          ['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'],
          join(dir, `${site.siteId}.log`),
        ),
      ),
    );

    // act
    await waitFor(
      'the 3 training rounds',
      async () => ((await adminStatus(coordinator.url, layout.adminKey)).finished ? true : undefined),
      120_000,
    );
    const admin = ['--url', coordinator.url, '--admin-key', layout.adminKey];
    const exportWith = async (maxEpsilon: number, out: string) => {
      const log = join(dir, `${out}.log`);
      const run = spawnCli(
        ['coordinator', 'export', '--out', join(dir, out), '--max-epsilon', String(maxEpsilon), ...admin],
        log,
      );
      const code = await run.exited;
      // The error line reaches the log file through a pipe, after the exit.
      const stderr =
        code === 0 ? '' : await waitFor('the error line', async () => (await readFile(log, 'utf8')) || undefined);
      return { code, stderr };
    };
    const refused = await exportWith(budget / 2, 'tight.bundle');
    const granted = await exportWith(1e6, 'global.bundle');

    // assert: site-1 sent private moments in round 0, trained rounds 1 and 2 and refused round 3 before reading a row
    const ledger = JSON.parse(await readFile(join(dir, 'site-1', 'privacy-ledger.json'), 'utf8'));
    expect(ledger.entries.map((e: { round: number; kind: string }) => `${e.kind} ${e.round}`)).toEqual([
      'statistics 0',
      'training 1',
      'training 2',
    ]);
    const site1Log = await readFile(join(dir, 'site-1.log'), 'utf8');
    expect(site1Log).toMatch(/would take this site's ε to \d+\.\d\d per utterance .* above its privacy\.maxEpsilon/);
    // site-2 (no budget, but the plan's DP) sent private moments too and trained all three
    const ledger2 = JSON.parse(await readFile(join(dir, 'site-2', 'privacy-ledger.json'), 'utf8'));
    expect(ledger2.entries).toHaveLength(4);
    const bundle = await readGeneratorBundle(join(dir, 'global.bundle'));
    const recorded = bundle.metadata.provenance.federation!.sitePrivacy!;
    expect(recorded['site-1']!.epsilonUtterance).toBeCloseTo(spentAfter(2), 6);
    expect(recorded['site-1']!.epsilonUtterance).toBeLessThanOrEqual(budget);
    expect(recorded['site-2']!.epsilonUtterance).toBeGreaterThan(budget);
    expect(recorded['site-2']!.epsilonSpeaker).toBeGreaterThan(recorded['site-2']!.epsilonUtterance!);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/PRIVACY_BUDGET_NOT_MET.*site-1 spent ε = .*site-2 spent ε = /);
    expect(granted.code, granted.stderr).toBe(0);
    await Promise.all(agents.map((agent) => agent.exited));
  }, 180_000);
});
