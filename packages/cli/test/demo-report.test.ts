import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDemoHtml, type DemoReport } from '../src/demo-report.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); elsewhere the test says why it did not run.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-demo-report-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const stat = (mean: number) => ({ mean, std: 0.05 });
const REPORT: DemoReport = {
  kind: 'emodistill-demo',
  version: 3,
  createdAt: '2026-11-25T00:00:00.000Z',
  backend: 'wasm',
  corpus: {
    utterances: 560,
    speakers: 14,
    classNames: ['angry', 'happy', 'neutral', 'sad'],
    testSpeakers: ['spk01', 'spk02'],
  },
  federation: {
    sites: 3,
    rounds: 8,
    localSteps: 150,
    strategy: 'fed-avg',
    seconds: 300,
    weightsSha256: 'ab'.repeat(32),
    bundle: 'global.bundle',
    released: false,
    releaseRefusal: 'missing or failing: site-2 <script>',
  },
  utility: [
    { label: 'federated synthetic (IPC 50)', uar: stat(0.7), wa: stat(0.7), rows: 200, bytes: 179200 },
    { label: 'random real subset (IPC 50)', uar: stat(0.75), wa: stat(0.74), rows: 200, bytes: 179200 },
    { label: 'real, all sites pooled', uar: stat(0.8), wa: stat(0.8), rows: 360, bytes: 322560 },
  ],
  audits: ['site-1', 'site-2', 'site-3'].map((siteId, i) => ({
    siteId,
    trainingSpeakers: [`spk0${i + 3}`],
    holdoutSpeakers: [`spk1${i}`],
    verdict: (['pass', 'fail', 'inconclusive'] as const)[i]!,
    reason: `reason <${i}>`,
    membershipAucUpper: 0.5 + 0.1 * i,
    powerLimit: 0.55 + 0.15 * i,
    memorisedShare: 0.02,
    memorisedBaseline: 0.05,
    probeConfidenceSynthetic: 0.6,
    probeConfidenceReal: 0.9,
    utilityUar: 0.7,
    reportHtml: `federation/${siteId}/audit-report.html`,
  })),
};

describe.runIf(haveChromium)('the demo HTML report in headless Chromium', () => {
  it('renders offline with no console errors: release verdict, utility chart and table, one audit row per site', async () => {
    // arrange
    const path = join(dir, 'report.html');
    await writeFile(path, renderDemoHtml(REPORT));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
      });

      // act
      await page.goto(pathToFileURL(path).href);

      // assert
      expect(problems).toEqual([]);
      expect(await page.locator('#release').textContent()).toContain('site-2 <script>');
      expect(await page.locator('#utility-chart rect').count()).toBe(3);
      expect(await page.locator('#utility tr').count()).toBe(4);
      expect(await page.locator('#audits tr').count()).toBe(4);
      expect(await page.locator('#audits tr:nth-child(4) td').allTextContents()).toEqual(
        expect.arrayContaining(['INCONCLUSIVE', '0.85']),
      );
      expect(await page.locator('#verdicts li').allTextContents()).toEqual([
        'site-1: PASS. reason <0>',
        'site-2: FAIL. reason <1>',
        'site-3: INCONCLUSIVE. reason <2>',
      ]);
      expect(await page.locator('#audits a').first().getAttribute('href')).toBe('federation/site-1/audit-report.html');
      const box = await page.locator('#utility-chart').boundingBox();
      expect(box?.width).toBeGreaterThan(300);
    } finally {
      await browser.close();
    }
  });
});
