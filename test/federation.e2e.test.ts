import { realpathSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeGeneratorBundle,
  encodeKey,
  generateKeyPair,
  initialGeneratorWeights,
  readGeneratorBundle,
  selectRows,
  snapshotSha256,
  verifyGeneratorBundle,
} from '@emodistill/core';
import { setUpFederation, spawnCli, spawnCoordinator } from '@emodistill/harness';
import {
  adminGet,
  adminStatus,
  cleanupsAfterEach,
  freePort,
  ManualSite,
  sendRaw,
  syntheticCorpus,
  uploadUpdate,
  waitFor,
} from './federation-fixtures.js';

/*
 * Real processes on 127.0.0.1: `emodistill coordinator start` and `emodistill site join` agents,
 * plus a site the test drives by hand over a real socket.io session. Small models keep it quick.
 */

const { cleanups, track } = cleanupsAfterEach();

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'emodistill-federation-'));
  if (!process.env.KEEP_TEST_DIRS) cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const corpus = syntheticCorpus(8);
const DISTILL = { batchSize: 16, poolEpochs: 2, poolSize: 1, criticSteps: 2 };

async function cli(args: string[], logPath: string): Promise<{ code: number | string; stdout: string }> {
  const process = spawnCli(args, logPath);
  return { code: await process.exited, stdout: process.stdout() };
}

describe('federation end to end (real coordinator and site processes)', () => {
  it('runs rounds with 3 agents while forged, wrong-shape, NaN, replayed and revoked uploads are refused; large updates cross; the export is signed', async () => {
    // arrange: three agents and a hand-driven fourth site; 512-wide layers make each update > 1 MB
    const dir = await workDir();
    const architecture = { noiseDimension: 8, hiddenUnits: [512, 512], classCount: 4, outputDimension: 8 };
    const layout = await setUpFederation({
      train: selectRows(corpus, (i) => corpus.speakers[i] !== 's6'),
      sites: 3,
      dir,
      rounds: 0,
      localSteps: 3,
      distill: DISTILL,
      hiddenUnits: architecture.hiddenUnits,
      noiseDimension: 8,
      minSites: 3,
      reconnectGraceSeconds: 30,
    });
    const coordinator = track(await spawnCoordinator(layout.coordinatorConfig, join(dir, 'coordinator.log')));
    await layout.writeSiteConfigs(coordinator.url);
    const admin = ['--url', coordinator.url, '--admin-key', layout.adminKey];
    const manualKeys = generateKeyPair();
    const added = await cli(
      ['sites', 'add', 'site-4', encodeKey(manualKeys.publicKey), ...admin],
      join(dir, 'cli.log'),
    );
    const manual = new ManualSite(
      coordinator.url,
      'site-4',
      manualKeys,
      selectRows(corpus, (i) => corpus.speakers[i] === 's6'),
      architecture,
    );
    cleanups.push(async () => manual.close());
    manual.held.add(1).add(2);
    const agents = layout.sites.map((site) =>
      track(
        spawnCli(
          ['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'],
          join(dir, `${site.siteId}.log`),
        ),
      ),
    );
    await waitFor('4 connected sites', async () =>
      (await adminStatus(coordinator.url, layout.adminKey)).connectedSites.length === 4 ? true : undefined,
    );

    // act: plan two training rounds from the CLI; attack while round 1 is held open
    const started = await cli(['round', 'start', '--rounds', '2', ...admin], join(dir, 'cli.log'));
    const round1 = await waitFor('round 1', async () => manual.announcement(1));
    const zero = initialGeneratorWeights(architecture, 0).map((t) => ({
      ...t,
      values: new Float32Array(t.values.length),
    }));
    const attacks = {
      forged: await uploadUpdate(coordinator.url, 1, {
        siteId: 'site-1',
        baseVersion: round1.baseVersion,
        tensors: zero,
        keys: manualKeys,
      }),
      wrongShape: await uploadUpdate(coordinator.url, 1, {
        siteId: 'site-4',
        baseVersion: round1.baseVersion,
        tensors: zero.map((t, i) => (i === 0 ? { ...t, shape: [t.shape[0]! / 2, t.shape[1]! * 2] } : t)),
        keys: manualKeys,
      }),
      notFinite: await uploadUpdate(coordinator.url, 1, {
        siteId: 'site-4',
        baseVersion: round1.baseVersion,
        tensors: zero.map((t, i) =>
          i === 2 ? { ...t, values: t.values.map((_, j) => (j === 7 ? Number.NaN : 0)) } : t,
        ),
        keys: manualKeys,
      }),
    };
    const honest1 = await manual.respond(1);
    const round2 = await waitFor('round 2', async () => manual.announcement(2));
    const replay = await sendRaw(coordinator.url, 2, manual.accepted.get(1)!.envelope, manual.accepted.get(1)!.payload);
    const revoked = await cli(['sites', 'revoke', 'site-4', ...admin], join(dir, 'cli.log'));
    const afterRevocation = await uploadUpdate(coordinator.url, 2, {
      siteId: 'site-4',
      baseVersion: round2.baseVersion,
      tensors: zero,
      keys: manualKeys,
    });
    const exits = await Promise.all(agents.map((agent) => agent.exited));
    const status = await adminStatus(coordinator.url, layout.adminKey);
    const cliStatus = await cli(['round', 'status', ...admin], join(dir, 'cli.log'));
    const exported = await cli(
      ['coordinator', 'export', '--out', join(dir, 'released.bundle'), ...admin],
      join(dir, 'cli.log'),
    );
    const metrics = await (await fetch(`${coordinator.url}/metrics`)).text();
    const updateFiles = await readdir(join(dir, 'coordinator-data', 'updates'));
    const largest = Math.max(
      ...(await Promise.all(
        updateFiles.map(async (file) => (await stat(join(dir, 'coordinator-data', 'updates', file))).size),
      )),
    );
    const released = await readGeneratorBundle(join(dir, 'released.bundle'));

    // assert
    expect([added.code, started.code, revoked.code], await readFile(join(dir, 'cli.log'), 'utf8')).toEqual([0, 0, 0]);
    expect([attacks.forged.status, attacks.forged.body.code]).toEqual([403, 'BAD_SIGNATURE']);
    expect([attacks.wrongShape.status, attacks.wrongShape.body.code]).toEqual([422, 'SHAPE_MISMATCH']);
    expect([attacks.notFinite.status, attacks.notFinite.body.code]).toEqual([422, 'NON_FINITE']);
    expect(honest1.status).toBe(200);
    expect([replay.status, replay.body.code]).toEqual([409, 'REPLAY']);
    expect([afterRevocation.status, afterRevocation.body.code]).toEqual([403, 'UNKNOWN_SITE']);
    expect(exits).toEqual([0, 0, 0]);
    expect(status).toMatchObject({
      trainingRoundsDone: 2,
      finished: true,
      latestVersion: { version: 3, sites: ['site-1', 'site-2', 'site-3'] },
    });
    expect(largest).toBeGreaterThan(1_000_000);
    expect(cliStatus.stdout).toContain('training rounds 2/2 (finished)');
    expect(exported.code).toBe(0);
    expect(verifyGeneratorBundle(released)).toBe(layout.coordinatorPublicKey);
    expect(snapshotSha256(released.weights)).toBe(status.latestVersion!.weightsSha256);
    expect(released.metadata.provenance).toMatchObject({
      federation: { trainingRounds: 2, sites: ['site-1', 'site-2', 'site-3', 'site-4'], strategy: 'fed-avg' },
    });
    expect(metrics).toMatch(/emodistill_updates_rejected_total\{reason="BAD_SIGNATURE"\} 1/);
    // one latent region per site of the statistics round, mixed by their rows; each agent trained in its own
    const regions = released.metadata.latentPrior!.components;
    expect(regions.map((c) => c.name)).toEqual(expect.arrayContaining(['site-1', 'site-2', 'site-3']));
    expect(regions.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 6);
    for (const site of layout.sites)
      expect(await readFile(join(dir, `${site.siteId}.log`), 'utf8'), site.siteId).toContain(
        "training in this site's latent region",
      );
  });

  it('releases a bundle that names no path of the machines that made it (attestations identify the audited bundle by sha256)', async () => {
    // arrange: two sites train one round; each audits the final generator, signs and uploads its attestation
    const dir = await workDir();
    const layout = await setUpFederation({
      train: corpus,
      sites: 2,
      dir,
      rounds: 1,
      localSteps: 3,
      distill: DISTILL,
      hiddenUnits: [32, 32],
      noiseDimension: 8,
      auditHoldoutSpeakers: (_, speakers) => [speakers[speakers.length - 1]!],
      // a policy that always passes: this test is about what the release carries, not about the audit's verdict
      auditPolicy: { maxMembershipAuc: 1, maxMemorisationExcess: 1, permutations: 200 },
    });
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
    expect(await Promise.all(agents.map((agent) => agent.exited))).toEqual([0, 0]);
    const audits = await Promise.all(
      layout.sites.map((site) =>
        cli(
          ['site', 'audit', '--config', site.config, '--ipc', '5', '--resamples', '20'],
          join(dir, `${site.siteId}-audit.log`),
        ),
      ),
    );

    // act
    const exported = await cli(
      [
        'coordinator',
        'export',
        '--release',
        '--out',
        join(dir, 'released.bundle'),
        '--url',
        coordinator.url,
        '--admin-key',
        layout.adminKey,
      ],
      join(dir, 'cli.log'),
    );
    const bytes = await readFile(join(dir, 'released.bundle'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + headerLength).toString('utf8');
    const metadata = JSON.stringify(decodeGeneratorBundle(bytes, 'released bundle').metadata);
    const siteReport = await readFile(join(dir, 'site-1', 'audit-report.json'), 'utf8');
    const siteAttestation = await readFile(join(dir, 'site-1', 'audit-report.attestation.json'), 'utf8');
    const siteReportHtml = await readFile(join(dir, 'site-1', 'audit-report.html'), 'utf8');

    // assert
    expect(
      audits.map((a) => a.code),
      await readFile(join(dir, 'site-1-audit.log'), 'utf8'),
    ).toEqual([0, 0]);
    expect(exported.code, await readFile(join(dir, 'cli.log'), 'utf8')).toBe(0);
    const provenance = (
      JSON.parse(metadata) as {
        provenance: { globalSha256: string; attestations: { siteId: string; body: { subjectSha256: string } }[] };
      }
    ).provenance;
    expect(provenance.attestations.map((a) => [a.siteId, a.body.subjectSha256])).toEqual([
      ['site-1', provenance.globalSha256],
      ['site-2', provenance.globalSha256],
    ]);
    expect(JSON.parse(siteReport)).toMatchObject({ subject: 'global.bundle' });
    const machinePaths = [...new Set([dir, realpathSync(dir), tmpdir(), homedir(), process.cwd()])].filter(
      (path) => path.length > 1,
    );
    const leaks = Object.entries({ header, metadata, siteReport, siteReportHtml, siteAttestation }).flatMap(
      ([name, text]) => machinePaths.filter((path) => text.includes(path)).map((path) => `${name} contains ${path}`),
    );
    expect(leaks).toEqual([]);
  });

  it.each([
    ['joins the statistics round when it connects within the wait', true, 30],
    ['is left out of the statistics round once the wait runs out', false, 1],
  ])(
    'with quorum connected, the coordinator waits for the third allowed site: it %s',
    async (_, thirdComes, statisticsWaitSeconds) => {
      // arrange
      const dir = await workDir();
      const layout = await setUpFederation({
        train: corpus,
        sites: 3,
        dir,
        rounds: 1,
        localSteps: 3,
        distill: DISTILL,
        hiddenUnits: [32, 32],
        noiseDimension: 8,
        minSites: 2,
        statisticsWaitSeconds,
      });
      const coordinator = track(await spawnCoordinator(layout.coordinatorConfig, join(dir, 'coordinator.log')));
      await layout.writeSiteConfigs(coordinator.url);
      const join_ = (siteIndex: number) =>
        track(
          spawnCli(
            ['--log-level', 'info', 'site', 'join', '--config', layout.sites[siteIndex]!.config, '--exit-when-done'],
            join(dir, `site-${siteIndex + 1}.log`),
          ),
        );
      const agents = [join_(0), join_(1)];
      await waitFor('2 connected sites', async () =>
        (await adminStatus(coordinator.url, layout.adminKey)).connectedSites.length === 2 ? true : undefined,
      );

      // act
      let roundWhileWaiting: unknown = 'not looked';
      if (thirdComes) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        roundWhileWaiting = (await adminStatus(coordinator.url, layout.adminKey)).round;
        agents.push(join_(2));
      }
      const exits = await Promise.all(agents.map((agent) => agent.exited));
      const versions = (await adminGet(coordinator.url, layout.adminKey, '/admin/versions')) as {
        version: number;
        sites: string[];
      }[];

      // assert
      expect(exits).toEqual(agents.map(() => 0));
      const expected = thirdComes ? ['site-1', 'site-2', 'site-3'] : ['site-1', 'site-2'];
      if (thirdComes) expect(roundWhileWaiting).toBeNull();
      expect(versions.map((v) => v.sites)).toEqual([expected, expected]);
      expect(await readFile(join(dir, 'coordinator.log'), 'utf8')).toContain(
        'waiting for the other allowed sites before the statistics round',
      );
    },
  );

  it('closes a round without a site killed mid-round once its reconnect grace runs out', async () => {
    // arrange
    const dir = await workDir();
    const layout = await setUpFederation({
      train: corpus,
      sites: 3,
      dir,
      rounds: 0,
      localSteps: 150,
      distill: DISTILL,
      hiddenUnits: [32, 32],
      noiseDimension: 8,
      minSites: 2,
      reconnectGraceSeconds: 1,
    });
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
    await waitFor('3 connected sites', async () =>
      (await adminStatus(coordinator.url, layout.adminKey)).connectedSites.length === 3 ? true : undefined,
    );
    expect(
      (
        await cli(
          ['round', 'start', '--rounds', '2', '--url', coordinator.url, '--admin-key', layout.adminKey],
          join(dir, 'cli.log'),
        )
      ).code,
    ).toBe(0);

    // act: kill site-3 as soon as the first training round is open
    await waitFor('training round 1', async () =>
      (await adminStatus(coordinator.url, layout.adminKey)).round?.round === 1 ? true : undefined,
    );
    agents[2]!.child.kill('SIGKILL');
    const exits = await Promise.all(agents.slice(0, 2).map((agent) => agent.exited));
    const status = await adminStatus(coordinator.url, layout.adminKey);
    const versions = (await adminGet(coordinator.url, layout.adminKey, '/admin/versions')) as {
      version: number;
      round: number;
      sites: string[];
    }[];

    // assert: site-3 delivered the statistics, then round 1 closed without it
    expect(exits).toEqual([0, 0]);
    expect(status).toMatchObject({ trainingRoundsDone: 2, finished: true });
    expect(versions.map((v) => [v.version, v.sites])).toEqual([
      [1, ['site-1', 'site-2', 'site-3']],
      [2, ['site-1', 'site-2']],
      [3, ['site-1', 'site-2']],
    ]);
  });

  it('continues the same round after the coordinator is SIGKILLed and restarted, losing no acknowledged update, with the same final model', async () => {
    // arrange: the same inputs twice; a hand-driven fourth site holds round 2 open so the kill lands mid-round
    const architecture = { noiseDimension: 8, hiddenUnits: [32, 32], classCount: 4, outputDimension: 8 };
    const manualData = selectRows(corpus, (i) => corpus.speakers[i] === 's6');
    const run = async (interrupt: boolean): Promise<{ sha: string; before: string[]; after: string[] }> => {
      const dir = await workDir();
      const port = await freePort();
      const layout = await setUpFederation({
        train: selectRows(corpus, (i) => corpus.speakers[i] !== 's6'),
        sites: 3,
        dir,
        rounds: 3,
        localSteps: 20,
        distill: DISTILL,
        hiddenUnits: architecture.hiddenUnits,
        noiseDimension: 8,
        minSites: 4,
        reconnectGraceSeconds: 30,
        port,
      });
      const logPath = join(dir, 'coordinator.log');
      let coordinator = track(await spawnCoordinator(layout.coordinatorConfig, logPath));
      await layout.writeSiteConfigs(coordinator.url);
      const manualKeys = generateKeyPair();
      const added = spawnCli(
        [
          'sites',
          'add',
          'site-4',
          encodeKey(manualKeys.publicKey),
          '--url',
          coordinator.url,
          '--admin-key',
          layout.adminKey,
        ],
        join(dir, 'cli.log'),
      );
      expect(await added.exited).toBe(0);
      const manual = new ManualSite(coordinator.url, 'site-4', manualKeys, manualData, architecture);
      cleanups.push(async () => manual.close());
      manual.held.add(2);
      const agents = layout.sites.map((site) =>
        track(
          spawnCli(
            ['--log-level', 'info', 'site', 'join', '--config', site.config, '--exit-when-done'],
            join(dir, `${site.siteId}.log`),
          ),
        ),
      );
      const before = await waitFor('an acknowledged update in round 2', async () => {
        const status = await adminStatus(coordinator.url, layout.adminKey);
        return status.round?.round === 2 && status.acceptedSites.length >= 1 ? status.acceptedSites : undefined;
      });
      let after = before;
      if (interrupt) {
        coordinator.child.kill('SIGKILL');
        await coordinator.exited;
        coordinator = track(await spawnCoordinator(layout.coordinatorConfig, logPath));
        after = (await adminStatus(coordinator.url, layout.adminKey)).acceptedSites;
      }
      await waitFor('agents to re-join round 2', async () =>
        (await adminStatus(coordinator.url, layout.adminKey)).connectedSites.length === 4 ? true : undefined,
      );
      expect((await manual.respond(2)).status).toBe(200);
      expect(await Promise.all(agents.map((agent) => agent.exited))).toEqual([0, 0, 0]);
      const status = await adminStatus(coordinator.url, layout.adminKey);
      expect(status).toMatchObject({ trainingRoundsDone: 3, finished: true });
      const bundle = decodeGeneratorBundle(
        await readFile(join(layout.sites[0]!.config, '..', 'global.bundle')),
        'site-1 final bundle',
      );
      expect(snapshotSha256(bundle.weights)).toBe(status.latestVersion!.weightsSha256);
      return { sha: status.latestVersion!.weightsSha256, before, after };
    };

    // act
    const uninterrupted = await run(false);
    const interrupted = await run(true);

    // assert
    expect(interrupted.after).toEqual(expect.arrayContaining(interrupted.before));
    expect(interrupted.sha).toBe(uninterrupted.sha);
  });
});
