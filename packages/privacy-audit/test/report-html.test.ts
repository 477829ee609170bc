import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@emodistill/core';
import { renderAuditHtml, runAudit } from '../src/index.js';
import { corpus } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); elsewhere the test says why it did not run.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
let dir: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'emodistill-report-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe.runIf(haveChromium)('the audit HTML report in headless Chromium', () => {
  it('renders offline with no console errors, the verdict, the tables and four plots', async () => {
    // arrange
    const members = corpus(['a', 'b', 'c', 'd', 'e', 'f'], 12, 1);
    const holdout = corpus(['x', 'y', 'z'], 12, 2);
    const report = runAudit(members, members, holdout, { subject: 'leaky <control>', resamples: 100 });
    const path = join(dir, 'report.html');
    await writeFile(path, renderAuditHtml(report));
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
      expect(await page.locator('#verdict').textContent()).toBe('FAIL');
      // the reason comes right after the verdict, before any table
      expect(await page.locator('#verdict + #why').textContent()).toMatch(/the generator copies records\.$/);
      expect(await page.locator('#gate tr').count()).toBe(4);
      expect(await page.locator('svg.plot').count()).toBe(4);
      expect(await page.locator('svg.plot polyline.series').count()).toBe(2);
      // Two scatter plots, each with one dot per real utterance (synthetic samples are crosses).
      expect(await page.locator('svg.plot circle').count()).toBe(2 * (members.ids.length + holdout.ids.length));
      expect(await page.locator('#membership tr').count()).toBe(3);
      expect(await page.title()).toContain('leaky <control>');
      const box = await page.locator('svg.plot').first().boundingBox();
      expect(box?.width).toBeGreaterThan(300);
    } finally {
      await browser.close();
    }
  });
});
