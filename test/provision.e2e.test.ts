import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectRows, writeFeatureSet } from '@emodistill/core';
import { spawnCli, spawnCoordinator, splitSpeakersOverSites } from '@emodistill/harness';
import { adminStatus, cleanupsAfterEach, freePort, syntheticCorpus } from './federation-fixtures.js';

/*
 * Provisioning as an operator and three sites would do it, with real `emodistill` processes on
 * 127.0.0.1: `federation init` makes the kits, each site makes its own key, the operator allows the
 * public keys, and a coordinator and three site agents started from the kits run two rounds.
 */

const { cleanups, track } = cleanupsAfterEach();

async function cli(args: string[], logPath: string): Promise<{ code: number | string; stdout: string }> {
  const process = track(spawnCli(args, logPath));
  return { code: await process.exited, stdout: process.stdout() };
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('provisioning a federation from kits (real processes)', () => {
  it("federation init for 3 sites, each site's own key, the operator adding them: the kits' coordinator and sites complete 2 rounds", async () => {
    // arrange: the operator's sample of the federation's features, and each site's own data
    const dir = await mkdtemp(join(tmpdir(), 'emodistill-provision-'));
    if (!process.env.KEEP_TEST_DIRS) cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const log = (name: string): string => join(dir, `${name}.log`);
    const corpus = syntheticCorpus(8);
    const sample = join(dir, 'sample.arrow');
    await writeFeatureSet(
      sample,
      selectRows(corpus, (i) => corpus.speakers[i] === 's1'),
    );
    const sites = ['site-1', 'site-2', 'site-3'];
    const url = `http://127.0.0.1:${await freePort()}`;
    const kits = join(dir, 'kits');
    const coordinatorConfig = join(kits, 'coordinator', 'coordinator.json');
    const adminKey = join(kits, 'operator', 'admin.key');
    const siteKit = (site: string, file: string): string => join(kits, 'sites', site, file);

    // act: the operator provisions the federation
    const init = await cli(
      [
        'federation',
        'init',
        '--sites',
        sites.join(','),
        '--url',
        url,
        '--features-from',
        sample,
        '--out',
        kits,
        '--listen-host',
        '127.0.0.1',
        '--rounds',
        '2',
      ],
      log('operator'),
    );
    const provisioned = await filesUnder(kits);
    // … and tunes the training down to a test-sized federation
    const config = JSON.parse(await readFile(coordinatorConfig, 'utf8')) as {
      model: Record<string, unknown>;
      training: { localSteps: number; distill: Record<string, unknown> };
    };
    Object.assign(config.model, { hiddenUnits: [32, 32], noiseDimension: 8 });
    config.training.localSteps = 3;
    Object.assign(config.training.distill, { batchSize: 16, poolEpochs: 2, poolSize: 1, criticSteps: 2 });
    await writeFile(coordinatorConfig, JSON.stringify(config, null, 2));
    // each site puts its own feature set in its kit and makes its own key
    const speakers = splitSpeakersOverSites(corpus.speakers, sites.length);
    await Promise.all(
      sites.map((site, s) =>
        writeFeatureSet(
          siteKit(site, 'features.arrow'),
          selectRows(corpus, (i) => speakers[s]!.includes(corpus.speakers[i]!)),
        ),
      ),
    );
    const [coordinatorCheck, ...siteKeys] = await Promise.all([
      cli(['coordinator', 'check', '--config', coordinatorConfig], log('operator-check')),
      ...sites.map((site) => cli(['keys', 'generate', '--out', siteKit(site, 'site.key')], log(`${site}-keys`))),
    ]);
    const coordinator = track(await spawnCoordinator(coordinatorConfig, log('coordinator')));
    // the operator allows the public keys the sites sent
    const added = await Promise.all(
      sites.map((site, s) =>
        cli(['sites', 'add', site, siteKeys[s]!.stdout.trim(), '--url', url, '--admin-key', adminKey], log('operator')),
      ),
    );
    const siteChecks = await Promise.all(
      sites.map((site) => cli(['site', 'check', '--config', siteKit(site, 'site.json')], log(`${site}-check`))),
    );
    const agents = sites.map((site) =>
      track(
        spawnCli(
          ['--log-level', 'info', 'site', 'join', '--config', siteKit(site, 'site.json'), '--exit-when-done'],
          log(site),
        ),
      ),
    );
    const exits = await Promise.all(agents.map((agent) => agent.exited));
    const status = await adminStatus(coordinator.url, adminKey);

    // assert
    const operatorLog = await readFile(log('operator'), 'utf8');
    expect(init.code, operatorLog).toBe(0);
    // the operator holds two keys, its own and the coordinator's; no site's
    expect(provisioned).toEqual([
      'coordinator/coordinator.json',
      'coordinator/coordinator.key',
      'operator/admin.key',
      ...sites.flatMap((site) => [
        `sites/${site}/README.md`,
        `sites/${site}/federation.json`,
        `sites/${site}/site.json`,
      ]),
    ]);
    expect(coordinatorCheck.code, coordinatorCheck.stdout).toBe(0);
    expect(siteKeys.map((key) => key.code)).toEqual([0, 0, 0]);
    expect(
      added.map((a) => a.code),
      operatorLog,
    ).toEqual([0, 0, 0]);
    expect(
      siteChecks.map((check) => check.code),
      siteChecks.map((check) => check.stdout).join('\n'),
    ).toEqual([0, 0, 0]);
    expect(exits, await readFile(log('site-1'), 'utf8')).toEqual([0, 0, 0]);
    expect(coordinator.url).toBe(url);
    expect(status).toMatchObject({
      trainingRoundsDone: 2,
      finished: true,
      latestVersion: { version: 3, sites },
    });
  });
});
