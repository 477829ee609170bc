import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../packages/cli/bin/emodistill.js', import.meta.url));

describe('emodistill demo --quick (real process, real corpus synthesis)', () => {
  it('synthesises the demo corpus, extracts features and reports a sane baseline', async () => {
    // arrange
    const out = await mkdtemp(join(tmpdir(), 'emodistill-demo-'));
    try {
      // act
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'demo', '--quick', '--out', out, '--backend', 'wasm']);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));

      // assert
      expect(stdout).toContain('real-full');
      expect(report.corpus.utterances).toBe(8 * 4 * 3);
      expect(report.corpus.perSpeaker).toHaveLength(8);
      expect(report.corpus.classNames).toEqual(['angry', 'happy', 'neutral', 'sad']);
      expect(report.realFull.folds).toHaveLength(4);
      // Learnable (chance is 0.25) but not trivial.
      expect(report.realFull.uar.mean).toBeGreaterThan(0.35);
      expect(report.realFull.uar.mean).toBeLessThan(0.98);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
