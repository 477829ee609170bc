import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readGeneratorBundle, verifyGeneratorBundle } from '@emodistill/core';

const BIN = fileURLToPath(new URL('../packages/cli/bin/emodistill.js', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README quick start: emodistill demo --quick (real processes, real corpus synthesis)', () => {
  it('is the command the README gives', async () => {
    // arrange / act
    const readme = await readFile(README, 'utf8');

    // assert: the two quick-start commands this test stands for
    expect(readme).toMatch(/npm ci && npx emodistill demo\b/);
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('federates a generator over 3 site processes, audits it at each site and writes one report with sane figures; a second run in the same folder replaces the first', async () => {
    // arrange
    const out = await mkdtemp(join(tmpdir(), 'emodistill-demo-'));
    try {
      // act
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [BIN, 'demo', '--quick', '--out', out, '--backend', 'wasm'],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      const html = await readFile(join(out, 'report.html'), 'utf8');
      const bundle = await readGeneratorBundle(join(out, report.federation.bundle));

      // assert
      expect(stdout).toContain('federated synthetic');
      expect(report.corpus).toMatchObject({
        utterances: 12 * 4 * 3,
        speakers: 12,
        classNames: ['angry', 'happy', 'neutral', 'sad'],
        testSpeakers: ['spk01', 'spk02'],
      });
      expect(report.federation).toMatchObject({ sites: 3, rounds: 2 });
      expect(verifyGeneratorBundle(bundle)).toBeDefined();
      expect(report.utility.map((r: { label: string }) => r.label)).toEqual([
        'federated synthetic (IPC 10; 3 draws)',
        'random real subset (IPC 10; 3 subsets)',
        'real, all sites pooled',
      ]);
      for (const row of report.utility) {
        expect(row.uar.mean).toBeGreaterThanOrEqual(0);
        expect(row.uar.mean).toBeLessThanOrEqual(1);
      }
      // Real data is learnable (chance is 0.25) but not trivial.
      expect(report.utility[2].uar.mean).toBeGreaterThan(0.35);
      expect(report.utility[2].uar.mean).toBeLessThan(0.99);
      expect(report.audits).toHaveLength(3);
      for (const audit of report.audits) {
        expect(audit.membershipAucUpper).toBeGreaterThanOrEqual(0);
        expect(audit.membershipAucUpper).toBeLessThanOrEqual(1);
        expect(audit.holdoutSpeakers).toHaveLength(1);
        expect(audit.trainingSpeakers.some((s: string) => audit.holdoutSpeakers.includes(s))).toBe(false);
        await access(join(out, audit.reportHtml));
      }
      // The release gate follows the audits: released exactly when every site's verdict is PASS.
      expect(report.federation.released).toBe(report.audits.every((a: { verdict: string }) => a.verdict === 'pass'));
      for (const audit of report.audits) {
        expect(['pass', 'fail', 'inconclusive']).toContain(audit.verdict);
        // one holdout speaker: chance alone reaches far above τ, so the reason says how many speakers a pass needs
        if (audit.verdict === 'inconclusive')
          expect(audit.reason).toMatch(/A pass needs about \d+|No holdout is large enough/);
      }
      expect(html).toContain('id="utility-chart"');
      expect(html).toContain('id="audits"');

      // act again: the main command run a second time in the same folder replaces its previous run
      const keyBefore = await readFile(join(out, 'federation', 'coordinator.key'), 'utf8');
      const again = await promisify(execFile)(
        process.execPath,
        [BIN, 'demo', '--quick', '--out', out, '--backend', 'wasm'],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const rerun = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));

      // assert: a fresh run with fresh throwaway keys, said on stderr
      expect(again.stderr).toContain(`replacing the previous demo run in ${out}`);
      expect(again.stdout).toContain('federated synthetic');
      expect(rerun.corpus).toEqual(report.corpus);
      expect(await readFile(join(out, 'federation', 'coordinator.key'), 'utf8')).not.toBe(keyBefore);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});
