import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, initialGeneratorWeights } from '@emodistill/core';
import { setUpFederation, spawnCli, spawnCoordinator } from '@emodistill/harness';
import { adminStatus, cleanupsAfterEach, syntheticCorpus, uploadUpdate, waitFor } from './federation-fixtures.js';

/*
 * `emodistill dashboard` against a real coordinator and three real site agents on 127.0.0.1, read by
 * headless Chromium. With EMODISTILL_DASHBOARD_SCREENSHOT=<file.png> the federation runs a few more
 * rounds and the test saves the page mid-federation there (the README's docs/dashboard.png).
 */

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); elsewhere the test says why it did not run.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
const SCREENSHOT = process.env.EMODISTILL_DASHBOARD_SCREENSHOT;

const { cleanups, track } = cleanupsAfterEach();

/** The HTTP status of a GET to the dashboard with the Host header given (fetch always sends its own). */
function statusWithHost(url: URL, host: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: { host } },
      (response) => {
        response.resume();
        resolvePromise(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe.runIf(haveChromium)('the dashboard in headless Chromium', () => {
  it(
    'shows a round that completes while the page is open, without a reload or a console error; refuses requests without its token or with a foreign Host',
    async () => {
      // arrange: a coordinator and three site agents; rounds start only when the test says so
      const dir = await mkdtemp(join(tmpdir(), 'emodistill-dashboard-'));
      if (!process.env.KEEP_TEST_DIRS) cleanups.push(() => rm(dir, { recursive: true, force: true }));
      // for the screenshot, rounds long enough (several refreshes) to catch one open
      const trainingRounds = SCREENSHOT ? 4 : 1;
      const layout = await setUpFederation({
        train: syntheticCorpus(8),
        sites: 3,
        dir,
        rounds: 0,
        localSteps: SCREENSHOT ? 200 : 3,
        distill: { batchSize: 16, poolEpochs: 2, poolSize: 1, criticSteps: 2 },
        hiddenUnits: [32],
        noiseDimension: 8,
      });
      const coordinator = track(await spawnCoordinator(layout.coordinatorConfig, join(dir, 'coordinator.log')));
      await layout.writeSiteConfigs(coordinator.url);
      for (const site of layout.sites)
        track(spawnCli(['site', 'join', '--config', site.config, '--exit-when-done'], join(dir, `${site.siteId}.log`)));
      const admin = ['--url', coordinator.url, '--admin-key', layout.adminKey];
      const dashboard = track(spawnCli(['--log-level', 'info', 'dashboard', ...admin], join(dir, 'dashboard.log')));
      const address = await waitFor(
        'the dashboard URL',
        async () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(dashboard.stdout())?.[0],
      );
      const url = new URL(address);
      await waitFor('3 connected sites', async () =>
        (await adminStatus(coordinator.url, layout.adminKey)).connectedSites.length === 3 ? true : undefined,
      );
      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      });
      cleanups.push(() => browser.close());
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const consoleErrors: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
      page.on('pageerror', (error) => void consoleErrors.push(error.message));
      await page.goto(address);
      await page.locator('[data-site="site-3"]').waitFor();
      // a marker on this document: it is still there after the rounds only if the page never reloaded
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));

      // act: a forged upload naming site-2, then the rounds, started from the CLI as an operator would
      const forged = await uploadUpdate(coordinator.url, 0, {
        siteId: 'site-2',
        baseVersion: 0,
        tensors: initialGeneratorWeights(
          { noiseDimension: 8, hiddenUnits: [32], classCount: 4, outputDimension: 8 },
          0,
        ),
        keys: generateKeyPair(),
      });
      const started = spawnCli(['round', 'start', '--rounds', String(trainingRounds), ...admin], join(dir, 'cli.log'));
      const startedCode = await started.exited;
      await page.locator('[data-round="1"][data-state="closed"]').waitFor({ timeout: 90_000 });
      if (SCREENSHOT) {
        await page.locator(`[data-round="${trainingRounds}"][data-state="open"]`).waitFor({ timeout: 400_000 });
        await mkdir(dirname(resolve(SCREENSHOT)), { recursive: true });
        await page.screenshot({ path: resolve(SCREENSHOT), fullPage: true });
      }
      const sameDocument = await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument);
      const roundsText = await page.locator('#rounds').innerText();
      const sitesText = await page.locator('#sites').innerText();
      const driftPoints = await page.locator('#drift svg.chart circle').count();
      const lossCharts = await page.locator('#losses .chart-title').allInnerTexts();
      const noToken = await fetch(`${url.origin}/`);
      const wrongToken = await fetch(`${url.origin}/events?token=${'A'.repeat(43)}`);
      const foreignHost = await statusWithHost(url, `rebind.attacker.example:${url.port}`);

      // assert
      expect(startedCode, await readFile(join(dir, 'cli.log'), 'utf8')).toBe(0);
      expect([forged.status, forged.body.code]).toEqual([403, 'BAD_SIGNATURE']);
      expect(sameDocument).toBe(true);
      expect(consoleErrors).toEqual([]);
      // round 0 (statistics) and round 1 (training) closed, each making a version
      expect(roundsText).toMatch(/\b1\s+training\s+closed\b.*\b3 \/ 3\s+v2\b/);
      expect(roundsText).toMatch(/\b0\s+statistics\s+closed\b.*\bv1\b/);
      expect(sitesText).toContain('BAD_SIGNATURE × 1');
      expect(driftPoints).toBeGreaterThanOrEqual(3);
      expect(lossCharts).toEqual(expect.arrayContaining(['wasserstein', 'adversarial']));
      expect([noToken.status, wrongToken.status, foreignHost]).toEqual([403, 403, 403]);
    },
    SCREENSHOT ? 600_000 : undefined,
  );
});
