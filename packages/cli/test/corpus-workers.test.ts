import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureSet, type FeatureSet } from '@emodistill/core';
import { EXIT_CODES, main } from '../src/index.js';

const EMODB_WAV = fileURLToPath(new URL('../../../../shared/datasets/emodb/wav', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/emodistill.js', import.meta.url));
/** Two speakers, six emotions: a corpus small enough for seconds, large enough for 2 workers. */
const FILES = ['03a01Fa.wav', '03a01Wa.wav', '03a04Lc.wav', '08a01Ab.wav', '08a01Na.wav', '08a02Tb.wav'];

/** Runs the CLI in-process with buffered output. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'emodistill', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

/** Everything of a feature set but its creation time, with the features as their float32 bit patterns. */
function comparable(set: FeatureSet): unknown {
  return {
    ...set,
    features: Array.from(new Uint32Array(set.features.buffer, set.features.byteOffset, set.features.length)),
    corpus: { ...set.corpus, createdAt: undefined },
  };
}

let dir: string;
let wavDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-cli-workers-'));
  wavDir = join(dir, 'wav');
  await mkdir(wavDir);
  await Promise.all(FILES.map((name) => copyFile(join(EMODB_WAV, name), join(wavDir, name))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('emodistill corpus import --workers', () => {
  it('writes the same feature set with 1 and 2 workers, in-process and from the built binary', async () => {
    // arrange
    const exec = promisify(execFile);
    const outs = ['one', 'two', 'bin'].map((name) => join(dir, `${name}.arrow`));

    // act
    const one = await run('corpus', 'import', 'emodb', wavDir, '--out', outs[0]!, '--workers', '1');
    const two = await run('corpus', 'import', 'emodb', wavDir, '--out', outs[1]!, '--workers', '2');
    await exec(process.execPath, [BIN, 'corpus', 'import', 'emodb', wavDir, '--out', outs[2]!, '--workers', '2']);
    const [setOne, setTwo, setBin] = await Promise.all(outs.map((out) => readFeatureSet(out)));

    // assert
    expect([one.code, two.code]).toEqual([EXIT_CODES.ok, EXIT_CODES.ok]);
    expect(setOne!.ids).toEqual(FILES.map((name) => name.replace('.wav', '')));
    expect(comparable(setTwo!)).toEqual(comparable(setOne!));
    expect(comparable(setBin!)).toEqual(comparable(setOne!));
  });

  it('names a corrupt WAV, exits 1 and writes no file, with 2 workers', async () => {
    // arrange
    const brokenDir = join(dir, 'broken');
    await mkdir(brokenDir);
    await Promise.all(FILES.map((name) => copyFile(join(wavDir, name), join(brokenDir, name))));
    const corrupt = join(brokenDir, '08a01Fd.wav');
    await writeFile(corrupt, Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVEjunk', 'latin1'));
    const out = join(dir, 'broken.arrow');

    // act
    const result = await run('corpus', 'import', 'emodb', brokenDir, '--out', out, '--workers', '2');

    // assert
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stderr).toContain('AUDIO_UNREADABLE');
    expect(result.stderr).toContain(corrupt);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses --workers 0 as a usage error', async () => {
    // act
    const result = await run('corpus', 'import', 'emodb', wavDir, '--out', join(dir, 'zero.arrow'), '--workers', '0');

    // assert
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain('--workers');
  });
});
