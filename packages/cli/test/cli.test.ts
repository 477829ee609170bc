import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureSet } from '@emodistill/core';
import { EXIT_CODES, main } from '../src/index.js';

const EMODB_WAV = fileURLToPath(new URL('../../../../shared/datasets/emodb/wav', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/emodistill.js', import.meta.url));

/** Runs the CLI in-process with buffered output. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'emodistill', ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

let dir: string;
let wavDir: string;
/** Three speakers (two held out later) × every file they have for the sentence a01/a02. */
const SUBSET = /^(03|08|10)a0[12]/;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-cli-'));
  wavDir = join(dir, 'wav');
  await import('node:fs/promises').then((fs) => fs.mkdir(wavDir));
  const names = (await readdir(EMODB_WAV)).filter((name) => SUBSET.test(name));
  await Promise.all(names.map((name) => copyFile(join(EMODB_WAV, name), join(wavDir, name))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('emodistill corpus on a real EmoDB subset', () => {
  it('imports, describes, splits and evaluates', async () => {
    // arrange
    const out = join(dir, 'subset.arrow');
    const expected = (await readdir(wavDir)).length;

    // act
    const imported = await run('corpus', 'import', 'emodb', wavDir, '--out', out, '--json');
    const info = await run('corpus', 'info', out, '--json');
    const split = await run('corpus', 'split', out, '--test-speakers', '03', '--out-train', join(dir, 'train.arrow'), '--out-test', join(dir, 'test.arrow'));
    const evaluated = await run('evaluate', '--train', join(dir, 'train.arrow'), '--test', join(dir, 'test.arrow'), '--seeds', '1', '--json', '--backend', 'wasm');

    // assert
    expect(imported.code, imported.stderr).toBe(EXIT_CODES.ok);
    const summary = JSON.parse(info.stdout);
    expect(summary.utterances).toBe(expected);
    expect(summary.perSpeaker.map((s: { value: string }) => s.value)).toEqual(['03', '08', '10']);
    expect(summary.classNames).toEqual(['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness']);
    expect(summary.dimension).toBeGreaterThan(150);
    expect(split.code, split.stderr).toBe(EXIT_CODES.ok);
    const [train, test] = await Promise.all([readFeatureSet(join(dir, 'train.arrow')), readFeatureSet(join(dir, 'test.arrow'))]);
    expect(new Set(test.speakers)).toEqual(new Set(['03']));
    expect(train.ids.length + test.ids.length).toBe(expected);
    expect(evaluated.code, evaluated.stderr).toBe(EXIT_CODES.ok);
    const result = JSON.parse(evaluated.stdout);
    expect(result.uar.mean).toBeGreaterThanOrEqual(0);
    expect(result.uar.mean).toBeLessThanOrEqual(1);
    expect(result.trainBytes).toBe(train.ids.length * train.dimension * 4);
  });

  it('names the missing manifest column and exits 1', async () => {
    // arrange
    const manifest = join(dir, 'bad.csv');
    await writeFile(manifest, 'path,emotion,spk\nwav/03a01Fa.wav,happiness,03\n');

    // act
    const result = await run('corpus', 'import', 'manifest', manifest, '--out', join(dir, 'bad.arrow'));

    // assert
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stderr).toMatch(/^emodistill: error \[MANIFEST_COLUMN\] .*bad\.csv: missing column "speaker"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects an unknown format with a usage error (exit 2)', async () => {
    // act
    const result = await run('corpus', 'import', 'mp3folder', wavDir, '--out', join(dir, 'x.arrow'));

    // assert
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain('mp3folder');
  });

  it('reports a file that is not a feature set', async () => {
    // act
    const result = await run('corpus', 'info', join(wavDir, (await readdir(wavDir))[0]!));

    // assert
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stderr).toContain('[FEATURE_SET_FORMAT]');
  });
});

describe('the emodistill binary', () => {
  it('runs as a process and exits with the documented codes', async () => {
    // arrange
    const exec = promisify(execFile);

    // act
    const help = await exec(process.execPath, [BIN, '--help']);
    const failure = await exec(process.execPath, [BIN, 'corpus', 'info', join(dir, 'missing.arrow')]).catch((error: { code: number; stderr: string }) => error);

    // assert
    expect(help.stdout).toMatch(/corpus[\s\S]*evaluate[\s\S]*demo/);
    expect(failure).toMatchObject({ code: EXIT_CODES.failure });
    expect((failure as { stderr: string }).stderr).toContain('missing.arrow');
  });
});
