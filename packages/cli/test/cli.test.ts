import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildInitialBundle,
  canonicalBytes,
  DEFAULT_AUDIT_POLICY,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  encodeKey,
  generateKeyPair,
  readFeatureSet,
  readGeneratorBundle,
  selectRows,
  signBytes,
  signGeneratorBundle,
  writeFeatureSet,
  type GeneratorBundle,
} from '@emodistill/core';
import { EXIT_CODES, main } from '../src/index.js';

const EMODB_WAV = fileURLToPath(new URL('../../../../shared/datasets/emodb/wav', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/emodistill.js', import.meta.url));

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
    const split = await run(
      'corpus',
      'split',
      out,
      '--test-speakers',
      '03',
      '--out-train',
      join(dir, 'train.arrow'),
      '--out-test',
      join(dir, 'test.arrow'),
    );
    const evaluated = await run(
      'evaluate',
      '--train',
      join(dir, 'train.arrow'),
      '--test',
      join(dir, 'test.arrow'),
      '--seeds',
      '1',
      '--json',
      '--backend',
      'wasm',
    );

    // assert
    expect(imported.code, imported.stderr).toBe(EXIT_CODES.ok);
    const summary = JSON.parse(info.stdout);
    expect(summary.utterances).toBe(expected);
    expect(summary.perSpeaker.map((s: { value: string }) => s.value)).toEqual(['03', '08', '10']);
    expect(summary.classNames).toEqual(['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness']);
    expect(summary.dimension).toBeGreaterThan(150);
    expect(split.code, split.stderr).toBe(EXIT_CODES.ok);
    const [train, test] = await Promise.all([
      readFeatureSet(join(dir, 'train.arrow')),
      readFeatureSet(join(dir, 'test.arrow')),
    ]);
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

  it.each([
    ['--latent-radius', '-1'],
    ['--latent-radius', 'far'],
    ['--latent-radius', ''],
    ['--seed', '-3'],
  ])('refuses simulate %s %j with a usage error (exit 2) before reading anything', async (flag, value) => {
    // act
    const result = await run('simulate', join(dir, 'never-read.arrow'), flag, value);

    // assert
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain(`expected a number ≥ 0, got "${value}"`);
  });

  it('reports a file that is not a feature set', async () => {
    // act
    const result = await run('corpus', 'info', join(wavDir, (await readdir(wavDir))[0]!));

    // assert
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stderr).toContain('[FEATURE_SET_FORMAT]');
  });
});

describe('emodistill distill, sample and bench on a real EmoDB subset', () => {
  it('distils a generator bundle, resumes from its checkpoint, samples and evaluates the synthetic set', async () => {
    // arrange
    const features = join(dir, 'four.arrow');
    await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features);
    await run(
      'corpus',
      'split',
      features,
      '--test-speakers',
      '03',
      '--out-train',
      join(dir, 'four-train.arrow'),
      '--out-test',
      join(dir, 'four-test.arrow'),
    );
    const bundle = join(dir, 'gen.bundle');
    const checkpoint = join(dir, 'gen.ckpt');

    // act
    const first = await run(
      'distill',
      join(dir, 'four-train.arrow'),
      '--out',
      bundle,
      '--steps',
      '4',
      '--checkpoint',
      checkpoint,
      '--checkpoint-every',
      '2',
      '--backend',
      'wasm',
    );
    const resumed = await run(
      'distill',
      join(dir, 'four-train.arrow'),
      '--out',
      bundle,
      '--steps',
      '6',
      '--checkpoint',
      checkpoint,
      '--backend',
      'wasm',
    );
    const sampled = await run(
      'sample',
      bundle,
      '--ipc',
      '7',
      '--seed',
      '0',
      '--out',
      join(dir, 'synth.arrow'),
      '--backend',
      'wasm',
    );
    const realPrior = await run(
      'sample',
      bundle,
      '--ipc',
      '7',
      '--prior',
      'real',
      '--real',
      join(dir, 'four-train.arrow'),
      '--out',
      join(dir, 'synth-prior.arrow'),
      '--backend',
      'wasm',
    );
    const evaluated = await run(
      'evaluate',
      '--train',
      join(dir, 'synth.arrow'),
      '--test',
      join(dir, 'four-test.arrow'),
      '--seeds',
      '1',
      '--json',
      '--backend',
      'wasm',
    );
    const mismatch = await run(
      'sample',
      bundle,
      '--ipc',
      '7',
      '--prior',
      'real',
      '--real',
      join(dir, 'subset.arrow'),
      '--out',
      join(dir, 'x.arrow'),
    );
    const soft = await run(
      'sample',
      bundle,
      '--ipc',
      '3',
      '--labels',
      'soft',
      '--out',
      join(dir, 'synth-soft.arrow'),
      '--backend',
      'wasm',
    );
    const stream = () =>
      run(
        'evaluate',
        '--generator',
        bundle,
        '--test',
        join(dir, 'four-test.arrow'),
        '--steps',
        '5',
        '--labels',
        'soft',
        '--seeds',
        '1',
        '--json',
        '--backend',
        'wasm',
      );
    const [streamed, streamedAgain] = [await stream(), await stream()];

    // assert
    expect(first.code, first.stderr).toBe(EXIT_CODES.ok);
    expect(resumed.code, resumed.stderr).toBe(EXIT_CODES.ok);
    expect(resumed.stdout).toContain('6 generator steps');
    expect(sampled.code, sampled.stderr).toBe(EXIT_CODES.ok);
    const synthetic = await readFeatureSet(join(dir, 'synth.arrow'));
    expect(synthetic.ids).toHaveLength(7 * 4);
    expect(synthetic.classNames).toEqual(['anger', 'happiness', 'neutral', 'sadness']);
    // A synthetic set is made to be shared: it names its generator without the local directory.
    expect(synthetic.corpus.source).toBe('synthetic:gen.bundle');
    expect(realPrior.code, realPrior.stderr).toBe(EXIT_CODES.ok);
    expect((await readFeatureSet(join(dir, 'synth-prior.arrow'))).ids).toHaveLength(7 * 4);
    expect(evaluated.code, evaluated.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(evaluated.stdout).trainRows).toBe(28);
    // The default method's bundle samples hard labels; --labels soft adds its labeler's probabilities.
    expect(synthetic.probabilities).toBeUndefined();
    expect(soft.code, soft.stderr).toBe(EXIT_CODES.ok);
    const probabilities = (await readFeatureSet(join(dir, 'synth-soft.arrow'))).probabilities!;
    expect(probabilities).toHaveLength(3 * 4 * 4);
    expect(probabilities.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(streamed.code, streamed.stderr).toBe(EXIT_CODES.ok);
    const streamResult = JSON.parse(streamed.stdout);
    expect(streamResult).toMatchObject({ steps: 5, batchSize: 32, labels: 'soft' });
    expect(JSON.parse(streamedAgain.stdout).runs[0].uar).toBe(streamResult.runs[0].uar);
    expect(mismatch.code).toBe(EXIT_CODES.failure);
    expect(mismatch.stderr).toContain('[BUNDLE_MISMATCH]');
  });

  it('prints the benchmark table with every row kind', async () => {
    // arrange
    const features = join(dir, 'bench.arrow');
    await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features);

    // act
    const result = await run(
      'bench',
      'distill',
      features,
      '--protocol',
      'speaker-kfold:3',
      '--ipc',
      '2',
      '--seeds',
      '1',
      '--generator-seeds',
      '2',
      '--method',
      'select,paper',
      '--workers',
      '2',
      '--steps',
      '2',
      '--prior',
      '--json-out',
      join(dir, 'bench.json'),
      '--backend',
      'wasm',
    );

    // assert
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    for (const row of ['real-full', 'random', 'herding', 'k-center', 'synthetic select', 'synthetic paper'])
      expect(result.stdout).toContain(row);
    expect(result.stdout).toContain('synthetic select real-prior');
    const json = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8'));
    expect(json.folds).toHaveLength(3);
    expect(json.generatorSeeds).toEqual([0, 1]);
    expect(json.rows.find((r: { row: string }) => r.row === 'real-full').relativeBytes).toBe(1);
    const synthetic = json.rows.find((r: { row: string }) => r.row === 'synthetic select');
    expect(synthetic.perFold).toHaveLength(3);
    // Paired differences: each synthetic row against each coreset of its label treatment and real-full, by
    // fold; the main method against the other.
    const versus = json.pairedDifferences
      .filter((d: { row: string }) => d.row === 'synthetic select')
      .map((d: { versus: string }) => d.versus);
    expect(versus).toEqual(['random', 'herding', 'k-center', 'real-full', 'synthetic paper']);
    // Both methods train the same generator: one distillation per fold and generator seed serves both.
    expect(result.stdout).toMatch(/whole benchmark/);
    expect(json.distillSecondsPerRun).toBeGreaterThan(0);
    const random = json.rows.find((r: { row: string }) => r.row === 'random');
    const difference = json.pairedDifferences.find((d: { versus: string }) => d.versus === 'random');
    expect(difference.perFold).toEqual(synthetic.perFold.map((u: number, i: number) => u - random.perFold[i]));
  });
});

describe('emodistill --compute', () => {
  it('names the matmul path it trains on, and refuses onnxruntime off the wasm backend', async () => {
    // arrange
    const features = join(dir, 'compute.arrow');
    await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features);
    const ortInstalled = (() => {
      try {
        createRequire(import.meta.url).resolve('onnxruntime-node');
        return true;
      } catch {
        return false;
      }
    })();

    // act
    const viaWasm = await run(
      'distill',
      features,
      '--out',
      join(dir, 'wasm.bundle'),
      '--steps',
      '2',
      '--backend',
      'wasm',
      '--compute',
      'wasm',
    );
    const byDefault = await run(
      'distill',
      features,
      '--out',
      join(dir, 'auto.bundle'),
      '--steps',
      '2',
      '--backend',
      'wasm',
    );
    const refused = await run(
      'distill',
      features,
      '--out',
      join(dir, 'cpu.bundle'),
      '--steps',
      '2',
      '--backend',
      'cpu',
      '--compute',
      'onnxruntime',
    );

    // assert
    expect(viaWasm.code, viaWasm.stderr).toBe(EXIT_CODES.ok);
    expect(viaWasm.stdout).toMatch(/ on wasm \(/);
    expect(byDefault.code, byDefault.stderr).toBe(EXIT_CODES.ok);
    expect(byDefault.stdout).toMatch(ortInstalled ? / on wasm\+onnxruntime \(/ : / on wasm \(/);
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stderr).toMatch(
      /^emodistill: error \[INVALID_OPTION\] --compute onnxruntime needs the wasm backend, but cpu runs/,
    );
  });
});

describe('emodistill distill --dp-epsilon', () => {
  it('says which terms it turned off, reports ε per utterance and per speaker, and the bundle records it', async () => {
    // arrange
    const features = join(dir, 'dp.arrow');
    await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features);
    const bundle = join(dir, 'dp.bundle');

    // act
    const result = await run(
      'distill',
      features,
      '--out',
      bundle,
      '--steps',
      '3',
      '--dp-epsilon',
      '2',
      '--json',
      '--backend',
      'wasm',
    );
    const refused = await run(
      'distill',
      features,
      '--out',
      join(dir, 'dp2.bundle'),
      '--dp-epsilon',
      '2',
      '--dp-noise',
      '1',
    );

    // assert
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    expect(result.stderr).toMatch(/differential privacy: turned off featureMatchingWeight, softmaxMatchingWeight/);
    const { privacy, config } = JSON.parse(result.stdout);
    expect(privacy.epsilonUtterance).toBeLessThanOrEqual(2);
    expect(privacy.epsilonUtterance).toBeGreaterThan(1.9);
    const { speakers } = await readFeatureSet(features);
    const largestSpeaker = Math.max(...[...new Set(speakers)].map((s) => speakers.filter((t) => t === s).length));
    expect(privacy.epsilonSpeaker).toBeCloseTo(largestSpeaker * privacy.epsilonUtterance, 6);
    // The standardiser is private by default (its releases are in ε), though EmoDB is too small for it to be accurate.
    // (at ε 2 it gets more noise than the default 7, to cost at most a quarter of ε)
    expect(privacy.notCovered).toEqual([]);
    expect(privacy.standardiserNoiseMultiplier).toBeGreaterThan(7);
    expect(result.stderr).toMatch(
      /rows are too few for an accurate private standardiser at σ [\d.]+ \(about \d+ are needed/,
    );
    expect(config).toMatchObject({ batchSampling: 'poisson', dpClipNorm: 1, featureMatchingWeight: 0 });
    const written = await readGeneratorBundle(bundle);
    expect(written.metadata.provenance.privacy).toEqual(privacy);
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stderr).toMatch(/exactly one of a noise multiplier/);
  });

  it('--dp-feature-clip keeps feature matching inside the boundary, and ε counts its private class means', async () => {
    // arrange
    const features = join(dir, 'dp.arrow');
    if (!existsSync(features)) await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features);

    // act
    const result = await run(
      'distill',
      features,
      '--out',
      join(dir, 'dp-fm.bundle'),
      '--steps',
      '3',
      '--dp-noise',
      '2',
      '--dp-feature-clip',
      '10',
      '--json',
      '--backend',
      'wasm',
    );

    // assert
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    expect(result.stderr).toMatch(/differential privacy: turned off softmaxMatchingWeight/);
    expect(result.stderr).not.toMatch(/featureMatchingWeight/);
    const { privacy, config } = JSON.parse(result.stdout);
    expect(config).toMatchObject({ dpFeatureClipNorm: 10, featureMatchingWeight: 0.01, dpNoiseMultiplier: 2 });
    // 3 generator steps × (5 critic updates + 1 private L_FM release)
    expect(privacy.privateSteps).toBe(18);
  });
});

describe('emodistill keys generate', () => {
  it('writes a 0600 key file, prints its public key and never overwrites it', async () => {
    // arrange
    const path = join(dir, 'operator.key');

    // act
    const created = await run('keys', 'generate', '--out', path);
    const again = await run('keys', 'generate', '--out', path);

    // assert
    expect(created.code, created.stderr).toBe(EXIT_CODES.ok);
    expect(Buffer.from(created.stdout.trim(), 'base64')).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8')).publicKey).toBe(created.stdout.trim());
    expect(again.code).toBe(EXIT_CODES.failure);
    expect(again.stderr).toContain('already exists');
  });
});

describe('the emodistill binary', () => {
  it('runs as a process and exits with the documented codes', async () => {
    // arrange
    const exec = promisify(execFile);

    // act
    const help = await exec(process.execPath, [BIN, '--help']);
    const demoHelp = await exec(process.execPath, [BIN, 'demo', '--help']);
    const failure = await exec(process.execPath, [BIN, 'corpus', 'info', join(dir, 'missing.arrow')]).catch(
      (error: { code: number; stderr: string }) => error,
    );

    // assert
    expect(help.stdout).toMatch(/corpus[\s\S]*evaluate[\s\S]*demo/);
    expect(demoHelp.stdout).toMatch(/Needs a clone of the emodistill repository/);
    expect(failure).toMatchObject({ code: EXIT_CODES.failure });
    expect((failure as { stderr: string }).stderr).toContain('missing.arrow');
  });
});

describe('emodistill federation commands: operator mistakes', () => {
  it('give one readable line and exit 1 for an unreachable coordinator, a missing key, a bad config field and a missing config', async () => {
    // arrange
    const keyPath = join(dir, 'operator.key');
    await run('keys', 'generate', '--out', keyPath);
    await writeFile(
      join(dir, 'bad-coordinator.json'),
      JSON.stringify({
        dataDir: 'x',
        keyFile: 'k',
        adminPublicKeys: [],
        model: { classNames: ['a', 'b'], featureDimension: 3 },
      }),
    );

    // act
    const unreachable = await run('round', 'status', '--url', 'http://127.0.0.1:9', '--admin-key', keyPath);
    const noKey = await run('sites', 'list', '--url', 'http://127.0.0.1:9', '--admin-key', join(dir, 'missing.key'));
    const badField = await run('coordinator', 'start', '--config', join(dir, 'bad-coordinator.json'));
    const noConfig = await run('site', 'join', '--config', join(dir, 'missing-site.json'));
    delete process.env.EMODISTILL_ADMIN_KEY;
    const noAdminKey = await run('round', 'start');

    // assert
    expect([unreachable.code, unreachable.stderr]).toEqual([
      EXIT_CODES.failure,
      expect.stringMatching(
        /^emodistill: error \[COORDINATOR_UNREACHABLE\] cannot reach the coordinator at http:\/\/127\.0\.0\.1:9: .*\n$/,
      ),
    ]);
    expect([noKey.code, noKey.stderr]).toEqual([EXIT_CODES.failure, expect.stringMatching(/missing\.key/)]);
    expect([badField.code, badField.stderr]).toEqual([
      EXIT_CODES.failure,
      expect.stringMatching(/bad-coordinator\.json: \/adminPublicKeys must list at least 1 item \(got \[\]\)\n$/),
    ]);
    expect([noConfig.code, noConfig.stderr]).toEqual([
      EXIT_CODES.failure,
      expect.stringMatching(/cannot read site config .*missing-site\.json/),
    ]);
    expect(noAdminKey.code).toBe(EXIT_CODES.usage);
    expect(noAdminKey.stderr).toMatch(/--admin-key/);
  });
});

/** Global version 1 of a two-class, three-dimension federation, as the coordinator builds it (unsigned). */
function federatedBundle(): GeneratorBundle {
  const featureSpec = { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] };
  return buildInitialBundle({
    sites: [
      {
        siteId: 'lab-a',
        numExamples: 8,
        mean: new Float32Array(3),
        variance: Float32Array.of(1, 1, 1),
        featureSpec,
        speakers: 2,
      },
    ],
    architecture: { noiseDimension: 2, hiddenUnits: [4], classCount: 2, outputDimension: 3 },
    classNames: ['angry', 'sad'],
    seed: 0,
    latentRadius: 0,
    trainingConfig: {},
    strategy: 'fed-avg',
    statisticsRound: 0,
    createdAt: new Date(0).toISOString(),
  });
}

describe('emodistill coordinator export of a bundle without a valid signature', () => {
  it('refuses an unsigned and an altered export with one line (exit 1, not 70) and writes nothing', async () => {
    // arrange: a stand-in coordinator whose /admin/export answers with the bundle of the request's path
    const adminKey = join(dir, 'export-admin.key');
    await run('keys', 'generate', '--out', adminKey);
    const signed = signGeneratorBundle(federatedBundle(), generateKeyPair());
    const altered = {
      ...signed,
      metadata: { ...signed.metadata, provenance: { ...signed.metadata.provenance, trainingRows: 9999 } },
    };
    const exports: Record<string, Uint8Array> = {
      '/unsigned/admin/export': encodeGeneratorBundle(federatedBundle()),
      '/altered/admin/export?release=true': encodeGeneratorBundle(altered),
    };
    const server = createServer((request, response) => response.end(exports[request.url ?? '']));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out = join(dir, 'exported.bundle');

    // act
    const unsigned = await run(
      'coordinator',
      'export',
      '--url',
      `${url}/unsigned`,
      '--admin-key',
      adminKey,
      '--out',
      out,
    );
    const tampered = await run(
      'coordinator',
      'export',
      '--release',
      '--url',
      `${url}/altered`,
      '--admin-key',
      adminKey,
      '--out',
      out,
    ).finally(() => server.close());

    // assert
    expectOneLineRefusal(
      unsigned,
      'EXPORT_UNSIGNED',
      new RegExp(
        `the bundle exported by ${url}/unsigned carries no valid signature \\(unsigned\\); nothing was written to ${out}`,
      ),
    );
    expectOneLineRefusal(tampered, 'EXPORT_UNSIGNED', /carries no valid signature \(altered after signing\)/);
    await expect(stat(out)).rejects.toThrow();
  });
});

/** Exit 1 and exactly one line `emodistill: error [CODE] …` (no stack trace). */
function expectOneLineRefusal(result: { code: number; stderr: string }, code: string, message: RegExp): void {
  expect(result.code, result.stderr).toBe(EXIT_CODES.failure);
  expect(result.stderr).toMatch(new RegExp(`^emodistill: error \\[${code}\\] [^\\n]*\\n$`));
  expect(result.stderr).toMatch(message);
}

interface MistakeFixtures {
  readonly features: string;
  readonly train: string;
  readonly test: string;
  readonly empty: string;
  readonly emptyClass: string;
}

/** A 4-class set of the subset, its split with speaker 03 held out, a set without rows and one with a class without rows (made once). */
let mistakes: Promise<MistakeFixtures> | undefined;
function mistakeFixtures(): Promise<MistakeFixtures> {
  mistakes ??= (async () => {
    const features = join(dir, 'mistakes.arrow');
    const [train, test, empty, emptyClass] = [
      'mistakes-train.arrow',
      'mistakes-test.arrow',
      'empty.arrow',
      'empty-class.arrow',
    ].map((name) => join(dir, name)) as [string, string, string, string];
    expect((await run('corpus', 'import', 'emodb', wavDir, '--task', '4class', '--out', features)).code).toBe(
      EXIT_CODES.ok,
    );
    expect(
      (await run('corpus', 'split', features, '--test-speakers', '03', '--out-train', train, '--out-test', test)).code,
    ).toBe(EXIT_CODES.ok);
    const set = await readFeatureSet(features);
    await writeFeatureSet(
      empty,
      selectRows(set, () => false),
    );
    await writeFeatureSet(emptyClass, { ...set, classNames: [...set.classNames, 'surprise'] });
    return { features, train, test, empty, emptyClass };
  })();
  return mistakes;
}

describe('ordinary mistakes: one line naming the file, option or field, exit 1, before any work', () => {
  it.each([
    ['corpus import', (_f: MistakeFixtures, out: string) => ['corpus', 'import', 'emodb', wavDir, '--out', out]],
    [
      'corpus split',
      (f: MistakeFixtures, out: string) => [
        'corpus',
        'split',
        f.features,
        '--test-speakers',
        '03',
        '--out-train',
        join(dir, 'split-train.arrow'),
        '--out-test',
        out,
      ],
    ],
    [
      'distill',
      (f: MistakeFixtures, out: string) => ['distill', f.train, '--out', out, '--steps', '2', '--backend', 'wasm'],
    ],
    [
      'sample',
      (_f: MistakeFixtures, out: string) => [
        'sample',
        join(dir, 'never-read.bundle'),
        '--out',
        out,
        '--backend',
        'wasm',
      ],
    ],
    [
      'audit',
      (f: MistakeFixtures, out: string) => [
        'audit',
        '--members',
        f.train,
        '--holdout',
        f.test,
        '--synthetic',
        f.train,
        '--out',
        out,
        '--backend',
        'wasm',
      ],
    ],
    [
      'bench distill --json',
      (f: MistakeFixtures, out: string) => [
        'bench',
        'distill',
        f.features,
        '--protocol',
        'speaker-kfold:3',
        '--ipc',
        '2',
        '--seeds',
        '1',
        '--steps',
        '2',
        '--json-out',
        out,
        '--backend',
        'wasm',
      ],
    ],
  ] as const)('%s refuses an output in a missing directory', async (_command, args) => {
    // arrange
    const fixtures = await mistakeFixtures();
    const missingDir = join(dir, 'no-such-dir');
    const out = join(missingDir, 'result.out');

    // act
    const result = await run(...args(fixtures, out));

    // assert
    expectOneLineRefusal(
      result,
      'OUTPUT_NOT_WRITABLE',
      new RegExp(` ${out}: directory ${missingDir} does not exist \\(create it first\\)`),
    );
  });

  it('distill refuses an empty training set and a class without rows', async () => {
    // arrange
    const { empty, emptyClass } = await mistakeFixtures();

    // act
    const noRows = await run('distill', empty, '--out', join(dir, 'empty.bundle'), '--steps', '2', '--backend', 'wasm');
    const noSurprise = await run(
      'distill',
      emptyClass,
      '--out',
      join(dir, 'empty-class.bundle'),
      '--steps',
      '2',
      '--backend',
      'wasm',
    );

    // assert
    expectOneLineRefusal(noRows, 'NO_ROWS', new RegExp(`${empty} has no rows`));
    expectOneLineRefusal(
      noSurprise,
      'CLASS_WITHOUT_ROWS',
      new RegExp(
        `${emptyClass} has no rows of class surprise \\(classes: anger, happiness, neutral, sadness, surprise\\)`,
      ),
    );
  });

  it('evaluate refuses an empty training set and test speakers it trained on, unless --allow-speaker-overlap', async () => {
    // arrange
    const { features, empty, test } = await mistakeFixtures();

    // act
    const noRows = await run('evaluate', '--train', empty, '--test', test, '--seeds', '1', '--backend', 'wasm');
    const same = await run('evaluate', '--train', features, '--test', features, '--seeds', '1', '--backend', 'wasm');
    const allowed = await run(
      'evaluate',
      '--train',
      features,
      '--test',
      test,
      '--seeds',
      '1',
      '--json',
      '--allow-speaker-overlap',
      '--backend',
      'wasm',
    );

    // assert
    expectOneLineRefusal(noRows, 'NO_ROWS', new RegExp(`--train ${empty} has no rows`));
    expectOneLineRefusal(
      same,
      'SPEAKER_OVERLAP',
      new RegExp(
        `speakers 03, 08, 10 of --test ${features} are also in --train ${features}, .*--allow-speaker-overlap`,
      ),
    );
    expect(allowed.code, allowed.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(allowed.stdout).sharedSpeakers).toEqual(['03']);
  });

  it('corpus split refuses to leave the training side empty', async () => {
    // arrange
    const { features } = await mistakeFixtures();
    const outTrain = join(dir, 'nothing-train.arrow');

    // act
    const result = await run(
      'corpus',
      'split',
      features,
      '--test-speakers',
      '03,08,10',
      '--out-train',
      outTrain,
      '--out-test',
      join(dir, 'everything-test.arrow'),
    );

    // assert
    expectOneLineRefusal(
      result,
      'NO_ROWS',
      new RegExp(`--test-speakers 03,08,10 are every speaker of ${features}: nothing would be left for ${outTrain}`),
    );
    await expect(stat(outTrain)).rejects.toThrow();
  });

  it('reports a truncated feature set as truncated, not with the Arrow reader’s TypeError', async () => {
    // arrange
    const { train } = await mistakeFixtures();
    const cut = join(dir, 'cut.arrow');
    const bytes = await readFile(train);
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));

    // act
    const result = await run('corpus', 'info', cut);

    // assert
    expectOneLineRefusal(
      result,
      'FEATURE_SET_FORMAT',
      new RegExp(`${cut} is not a readable emodistill feature set: truncated: \\d+ bytes and no Arrow footer`),
    );
    expect(result.stderr).not.toMatch(/Cannot read|null/);
  });

  it('audit leads with its verdict and exits 3 for a FAIL (the members themselves as the synthetic set)', async () => {
    // arrange
    const { train, test } = await mistakeFixtures();

    // act
    const result = await run(
      'audit',
      '--members',
      train,
      '--holdout',
      test,
      '--synthetic',
      train,
      '--resamples',
      '50',
      '--permutations',
      '200',
      '--out',
      join(dir, 'copied-audit.json'),
      '--backend',
      'wasm',
    );
    const report = JSON.parse(await readFile(join(dir, 'copied-audit.json'), 'utf8'));

    // assert
    expect(result.code, result.stderr).toBe(EXIT_CODES.gateFailed);
    expect(result.stdout.split('\n')[0]).toMatch(/^verdict: FAIL\. .* the generator copies records\.$/);
    expect(report.verdict).toMatchObject({ verdict: 'fail', policy: { maxMembershipAuc: 0.6, permutations: 200 } });
  });

  it('audit --key names a missing bundle with its code, not the file system error of its hashing', async () => {
    // arrange
    const { train, test } = await mistakeFixtures();
    const key = join(dir, 'audit-site.key');
    await run('keys', 'generate', '--out', key);
    const bundle = join(dir, 'never-written.bundle');

    // act
    const result = await run(
      'audit',
      '--members',
      train,
      '--holdout',
      test,
      '--bundle',
      bundle,
      '--key',
      key,
      '--out',
      join(dir, 'never-audited.json'),
      '--backend',
      'wasm',
    );

    // assert
    expectOneLineRefusal(
      result,
      'BUNDLE_FORMAT',
      new RegExp(`${bundle} is not a usable generator bundle: file not found`),
    );
  });

  it('site audit refuses an audit policy not signed by the pinned coordinator key, and names a coordinator that does not answer', async () => {
    // arrange: an impostor on 127.0.0.1 serves a lenient policy signed with its own key
    const { train } = await mistakeFixtures();
    const siteKey = join(dir, 'policy-site.key');
    await run('keys', 'generate', '--out', siteKey);
    const impostorKeys = generateKeyPair();
    const lenient = { kind: 'emodistill-release-policy', policy: { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 1 } };
    const server = createServer((_request, response) =>
      response
        .setHeader('content-type', 'application/json')
        .end(JSON.stringify({ body: lenient, signature: signBytes(canonicalBytes(lenient), impostorKeys.secretKey) })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const siteConfig = async (name: string, url: string): Promise<string> => {
      const path = join(dir, name);
      await writeFile(
        path,
        JSON.stringify({
          siteId: 'lab-a',
          keyFile: siteKey,
          coordinator: { url, publicKey: encodeKey(generateKeyPair().publicKey) },
          features: train,
          auditHoldoutSpeakers: ['08'],
          finalBundle: join(dir, 'policy-global.bundle'),
        }),
      );
      return path;
    };
    const impostorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // act
    const forged = await run('site', 'audit', '--config', await siteConfig('impostor-site.json', impostorUrl));
    const unreachable = await run(
      'site',
      'audit',
      '--config',
      await siteConfig('gone-site.json', 'http://127.0.0.1:9'),
    );
    server.close();

    // assert
    expectOneLineRefusal(
      forged,
      'RELEASE_POLICY_UNAVAILABLE',
      new RegExp(`the audit policy from ${impostorUrl} is not signed by coordinator.publicKey of the site config\\n$`),
    );
    expectOneLineRefusal(
      unreachable,
      'RELEASE_POLICY_UNAVAILABLE',
      /cannot reach the coordinator at http:\/\/127.0.0.1:9 \(coordinator.url of the site config\) to fetch the federation's audit policy: /,
    );
  });

  it('sites add checks the site id and the public key before sending anything', async () => {
    // arrange: no coordinator listens at the URL, so only a check before the request can answer
    const adminKey = join(dir, 'sites-admin.key');
    await run('keys', 'generate', '--out', adminKey);
    const admin = ['--url', 'http://127.0.0.1:9', '--admin-key', adminKey];

    // act
    const badKey = await run('sites', 'add', 'lab-c', 'not-a-key', ...admin);
    const badBoth = await run('sites', 'add', 'lab c', 'AAAA', ...admin);

    // assert
    expectOneLineRefusal(
      badKey,
      'INVALID_SITE_ARGUMENT',
      /sites add: <public-key> "not-a-key" is not an Ed25519 public key: expected 44 base64 characters ending in "=" .*got 9 characters\n$/,
    );
    expectOneLineRefusal(
      badBoth,
      'INVALID_SITE_ARGUMENT',
      /sites add: <name> "lab c" must be 1 to 64 letters, digits, "_", "\." or "-"; <public-key> "AAAA" is not an Ed25519 public key/,
    );
  });

  it('a config file with several mistakes names every one of them on one line', async () => {
    // arrange
    const coordinatorConfig = join(dir, 'many-mistakes-coordinator.json');
    const siteConfig = join(dir, 'many-mistakes-site.json');
    await writeFile(
      coordinatorConfig,
      JSON.stringify({
        dataDir: 'x',
        keyFile: 'k',
        adminPublicKeys: ['abc'],
        model: { classNames: ['a', 'b'], featureDimension: 3 },
        training: { localSteps: 0 },
      }),
    );
    await writeFile(
      siteConfig,
      JSON.stringify({
        siteId: 'lab c',
        keyFile: 'site.key',
        coordinator: { url: 'http://127.0.0.1:9', publicKey: 'x' },
        features: 'f.arrow',
        backend: 'gpu',
      }),
    );

    // act
    const coordinator = await run('coordinator', 'start', '--config', coordinatorConfig);
    const site = await run('site', 'join', '--config', siteConfig);

    // assert
    expectOneLineRefusal(
      coordinator,
      'INVALID_OPTION',
      new RegExp(
        `${coordinatorConfig}: 2 errors: /adminPublicKeys/0 must be an Ed25519 public key: .* \\(got "abc"\\); /training/localSteps must be ≥ 1 \\(got 0\\)\\n$`,
      ),
    );
    expectOneLineRefusal(
      site,
      'INVALID_OPTION',
      new RegExp(
        `${siteConfig}: 3 errors: /siteId must be 1 to 64 letters, .*\\(got "lab c"\\); /coordinator/publicKey must be an Ed25519 public key: .*\\(got "x"\\); /backend must be one of "auto", .*\\(got "gpu"\\)\\n$`,
      ),
    );
  });
  it('coordinator start refuses a round plan with an unknown or ill-typed field, listing each, before listening', async () => {
    // arrange: the misspelt field used to pass start-up and fail only at each site, mid-federation
    const config = join(dir, 'bad-plan-coordinator.json');
    await writeFile(
      config,
      JSON.stringify({
        dataDir: 'x',
        keyFile: 'k',
        adminPublicKeys: [encodeKey(generateKeyPair().publicKey)],
        model: { classNames: ['a', 'b'], featureDimension: 3 },
        training: { localSteps: 5, distill: { stepps: 10, batchSize: '64', diversityWeight: -1 } },
      }),
    );

    // act
    const result = await run('coordinator', 'start', '--config', config);

    // assert
    expectOneLineRefusal(
      result,
      'INVALID_OPTION',
      new RegExp(
        `${config}: 3 errors: /training/distill/stepps is not a known field; /training/distill/batchSize must be an integer \\(got "64"\\); /training/distill/diversityWeight must be ≥ 0 \\(got -1\\)`,
      ),
    );
  });
});

describe('emodistill simulate run again in the same folder', () => {
  it('replaces its previous run (new throwaway keys), says so on stderr, and leaves the user’s keys alone', async () => {
    // arrange
    const { features } = await mistakeFixtures();
    const out = join(dir, 'simulation');
    const args = [
      'simulate',
      features,
      '--sites',
      '2',
      '--rounds',
      '1',
      '--local-steps',
      '1',
      '--ipc',
      '1',
      '--seeds',
      '1',
      '--test-speakers',
      '03',
      '--out',
      out,
      '--backend',
      'wasm',
    ];
    const keyOf = async (): Promise<string> =>
      JSON.parse(await readFile(join(out, 'federation', 'coordinator.key'), 'utf8')).publicKey;

    // act
    const first = await run(...args);
    const firstKey = await keyOf();
    const second = await run(...args);
    const userKey = await run('keys', 'generate', '--out', join(out, 'federation', 'coordinator.key'));

    // assert
    expect(first.code, first.stderr).toBe(EXIT_CODES.ok);
    expect(first.stderr).not.toContain('replacing');
    expect(second.code, second.stderr).toBe(EXIT_CODES.ok);
    expect(second.stderr).toMatch(
      new RegExp(`^emodistill: replacing the previous simulate run in ${out} \\(started \\d{4}-`, 'm'),
    );
    expect(await keyOf()).not.toBe(firstKey);
    expect(JSON.parse(await readFile(join(out, 'simulation.json'), 'utf8')).testSpeakers).toEqual(['03']);
    await stat(join(out, 'global.bundle'));
    expect(userKey.code).toBe(EXIT_CODES.failure);
    expect(userKey.stderr).toContain('refusing to overwrite a key');
  });

  it("records each method's sampling in the federated bundle, which holds the generator alone", async () => {
    // arrange
    const { features } = await mistakeFixtures();
    const simulate = (method: string, out: string) =>
      run(
        'simulate',
        features,
        '--method',
        method,
        '--sites',
        '2',
        '--rounds',
        '1',
        '--local-steps',
        '2',
        '--ipc',
        '1',
        '--seeds',
        '1',
        '--test-speakers',
        '03',
        '--out',
        out,
        '--backend',
        'wasm',
      );
    const bundleOf = async (out: string) =>
      decodeGeneratorBundle(await readFile(join(out, 'global.bundle')), 'global.bundle');

    // act
    const withLabeler = await simulate('select', join(dir, 'sim-default'));
    const paper = await simulate('paper', join(dir, 'sim-paper'));

    // assert
    expect(withLabeler.code, withLabeler.stderr).toBe(EXIT_CODES.ok);
    expect(paper.code, paper.stderr).toBe(EXIT_CODES.ok);
    // The select method samples ×20 oversampled with herding, in a labeler derived from the generator
    // when sampling: the federation trains and releases nothing but the generator.
    const federated = await bundleOf(join(dir, 'sim-default'));
    expect(federated.metadata.labeler).toBeUndefined();
    expect(federated.metadata.sampling).toEqual({ labels: 'hard', oversample: 20, selection: 'herding' });
    expect(federated.weights.some((t) => t.name.startsWith('labeler/'))).toBe(false);
    const plain = await bundleOf(join(dir, 'sim-paper'));
    expect(plain.metadata.labeler).toBeUndefined();
    expect(plain.metadata.sampling).toEqual({ labels: 'hard', oversample: 1 });
    expect(plain.weights.some((t) => t.name.startsWith('labeler/'))).toBe(false);
  });
});
