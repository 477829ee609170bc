import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureSet, readGeneratorBundle, selectRows, snapshotSha256, writeFeatureSet } from '@emodistill/core';
import { buildProgram, EXIT_CODES, main } from '@emodistill/cli';
import { setUpFederation, spawnCoordinator } from '@emodistill/harness';
import { adminStatus, ManualSite, syntheticCorpus, waitFor } from './federation-fixtures.js';

/*
 * Every command that produces a result prints it, with --json, as one JSON object on stdout and nothing
 * else there. The commands run in this process on tiny fixtures (the synthetic 6-speaker corpus, a few
 * generator steps), one as the real binary; the admin commands against a real coordinator on 127.0.0.1.
 */

/** The commands with --json (README: "Machine-readable output"). */
const JSON_COMMANDS = [
  'corpus import',
  'corpus info',
  'corpus split',
  'distill',
  'sample',
  'evaluate',
  'audit',
  'coordinator export',
  'simulate',
  'bench distill',
  'round status',
  'sites list',
];

const BIN = fileURLToPath(new URL('../packages/cli/bin/emodistill.js', import.meta.url));
const corpus = syntheticCorpus(8);
let dir: string;
let train: string;
let test: string;

/** Runs `emodistill <args>` in this process; `json` is stdout parsed, which must be one JSON object. */
async function emodistill(...args: string[]): Promise<{ code: number; stderr: string; json: Record<string, unknown> }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'emodistill', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  expect(code === EXIT_CODES.ok || args[0] === 'audit', `${args.join(' ')}: exit ${code}\n${stderr}`).toBe(true);
  const json: unknown = JSON.parse(stdout);
  expect(json, `${args.join(' ')} prints one JSON object`).toEqual(expect.any(Object));
  expect(Array.isArray(json)).toBe(false);
  return { code, stderr, json: json as Record<string, unknown> };
}

/** A float32 [rows, columns] .npy file (format version 1.0). */
async function writeNpy(path: string, values: Float32Array, rows: number, columns: number): Promise<void> {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  const header = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble.writeUInt8(1, 6);
  preamble.writeUInt16LE(header.length, 8);
  await writeFile(path, Buffer.concat([preamble, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-json-'));
  train = join(dir, 'fixture-train.arrow');
  test = join(dir, 'fixture-test.arrow');
  await writeFeatureSet(
    train,
    selectRows(corpus, (i) => corpus.speakers[i] !== 's6'),
  );
  await writeFeatureSet(
    test,
    selectRows(corpus, (i) => corpus.speakers[i] === 's6'),
  );
});

afterAll(async () => {
  if (!process.env.KEEP_TEST_DIRS) await rm(dir, { recursive: true, force: true });
});

describe('--json: one JSON object on stdout for every command that produces a result', () => {
  it('is an option of every documented command, worded the same everywhere', () => {
    // arrange
    const withJson = new Map<string, string>();
    const visit = (command: Command, path: string[]): void => {
      const option = command.options.find((o) => o.long === '--json');
      if (option) withJson.set(path.join(' '), option.description);
      command.commands.forEach((sub) => visit(sub, [...path, sub.name()]));
    };

    // act
    visit(buildProgram(), []);

    // assert
    expect([...withJson.keys()]).toEqual(expect.arrayContaining(JSON_COMMANDS));
    expect(new Set(withJson.values()).size).toBe(1);
  });

  it('corpus import, info and split name the files they read and wrote, with the counts', async () => {
    // arrange: the corpus as precomputed embeddings (.npy and a manifest)
    const npy = join(dir, 'corpus.npy');
    const manifest = join(dir, 'corpus.csv');
    await writeNpy(npy, corpus.features, corpus.ids.length, corpus.dimension);
    await writeFile(
      manifest,
      ['id,emotion,speaker', ...corpus.ids.map((id, i) => `${id},${corpus.emotions[i]},${corpus.speakers[i]}`)].join(
        '\n',
      ),
    );
    const imported = join(dir, 'imported.arrow');
    const [outTrain, outTest] = [join(dir, 'split-train.arrow'), join(dir, 'split-test.arrow')];

    // act
    const importing = await emodistill(
      'corpus',
      'import',
      'embeddings',
      npy,
      '--manifest',
      manifest,
      '--out',
      imported,
      '--json',
    );
    const info = await emodistill('corpus', 'info', imported, '--json', '--dimensions');
    const split = await emodistill(
      'corpus',
      'split',
      imported,
      '--test-speakers',
      's6',
      '--out-train',
      outTrain,
      '--out-test',
      outTest,
      '--json',
    );

    // assert
    expect(importing.json).toMatchObject({ out: imported, utterances: 144, dimension: 8 });
    expect(importing.json.classNames).toEqual(corpus.classNames);
    expect(info.json).toMatchObject({ file: imported, utterances: 144, dimensionNames: expect.any(Array) });
    expect((info.json.perSpeaker as unknown[]).length).toBe(6);
    expect(split.json).toEqual({
      file: imported,
      train: { out: outTrain, utterances: 120, speakers: ['s1', 's2', 's3', 's4', 's5'] },
      test: { out: outTest, utterances: 24, speakers: ['s6'] },
    });
    expect((await readFeatureSet(outTest)).ids).toHaveLength(24);
  });

  it('distill (as the real binary), sample, evaluate and audit give their figures; audit still exits by its verdict', async () => {
    // arrange
    const bundle = join(dir, 'gen.bundle');
    const synthetic = join(dir, 'synth.arrow');
    const report = join(dir, 'report.json');
    const verdictExit = {
      pass: EXIT_CODES.ok,
      fail: EXIT_CODES.gateFailed,
      inconclusive: EXIT_CODES.auditInconclusive,
    };

    // act: a real process, so that anything a library printed on stdout would show
    const distilled = await promisify(execFile)(process.execPath, [
      BIN,
      'distill',
      train,
      '--out',
      bundle,
      '--steps',
      '3',
      '--batch-size',
      '16',
      '--critic-steps',
      '1',
      '--backend',
      'wasm',
      '--json',
    ]);
    const sampled = await emodistill('sample', bundle, '--ipc', '5', '--out', synthetic, '--backend', 'wasm', '--json');
    const evaluated = await emodistill('evaluate', '--train', synthetic, '--test', test, '--seeds', '1', '--json');
    const audited = await emodistill(
      'audit',
      '--members',
      train,
      '--holdout',
      test,
      '--synthetic',
      synthetic,
      '--out',
      report,
      '--resamples',
      '50',
      '--permutations',
      '200',
      '--json',
    );

    // assert
    const distill = JSON.parse(distilled.stdout) as Record<string, unknown>;
    expect(distill).toMatchObject({ train, out: bundle, method: 'default', steps: 3, trainRows: 120 });
    expect(distill.backend).toMatch(/^wasm/);
    expect(distill.seconds).toBeGreaterThan(0);
    expect(distill.losses).toHaveProperty('wasserstein');
    expect((await readGeneratorBundle(bundle)).metadata.classNames).toEqual(corpus.classNames);
    expect(sampled.json).toMatchObject({ bundle, out: synthetic, utterances: 20 });
    expect(evaluated.json).toMatchObject({ train: synthetic, test, trainRows: 20, testRows: 24 });
    expect(evaluated.json.uar).toEqual({ mean: expect.any(Number), std: expect.any(Number) });
    const verdict = audited.json.verdict as { verdict: keyof typeof verdictExit; reason: string };
    expect(audited.json).toMatchObject({ subject: 'synth.arrow', out: report, html: join(dir, 'report.html') });
    expect(verdict.reason).toEqual(expect.any(String));
    expect(audited.code).toBe(verdictExit[verdict.verdict]);
    expect(JSON.parse(await readFile(report, 'utf8')).verdict.verdict).toBe(verdict.verdict);
  });

  it('bench distill prints with --json what --json-out writes', async () => {
    // arrange
    const out = join(dir, 'bench.json');

    // act
    const bench = await emodistill(
      'bench',
      'distill',
      train,
      '--protocol',
      'speaker-kfold:2',
      '--ipc',
      '2',
      '--seeds',
      '1',
      '--generator-seeds',
      '1',
      '--steps',
      '2',
      '--coresets',
      'random',
      '--workers',
      '1',
      '--backend',
      'wasm',
      '--json',
      '--json-out',
      out,
    );

    // assert
    expect(bench.json).toEqual(JSON.parse(await readFile(out, 'utf8')));
    expect(bench.json).toMatchObject({ file: train, protocol: 'speaker-kfold:2' });
    expect((bench.json.rows as { row: string }[]).map((row) => row.row)).toEqual(
      expect.arrayContaining(['real-full', 'random', 'synthetic']),
    );
  });

  it('simulate prints what it writes to simulation.json', async () => {
    // arrange
    const out = join(dir, 'simulation');

    // act
    const simulated = await emodistill(
      'simulate',
      train,
      '--sites',
      '1',
      '--rounds',
      '1',
      '--local-steps',
      '1',
      '--ipc',
      '1',
      '--seeds',
      '1',
      '--test-speakers',
      's5',
      '--out',
      out,
      '--backend',
      'wasm',
      '--json',
    );

    // assert
    expect(simulated.json).toEqual(JSON.parse(await readFile(join(out, 'simulation.json'), 'utf8')));
    expect(simulated.json).toMatchObject({ testSpeakers: ['s5'], rounds: 1, bundle: join(out, 'global.bundle') });
    expect(simulated.json.federated).toMatchObject({ ipc: 1, uar: { mean: expect.any(Number) } });
  });

  it('round status, sites list and coordinator export against a real coordinator', async () => {
    // arrange: a coordinator process and one hand-driven site through the statistics round and one training round
    const federation = join(dir, 'federation');
    const architecture = { noiseDimension: 4, hiddenUnits: [8], classCount: 4, outputDimension: 8 };
    const layout = await setUpFederation({
      train: corpus,
      sites: 1,
      dir: federation,
      rounds: 1,
      localSteps: 1,
      hiddenUnits: architecture.hiddenUnits,
      noiseDimension: architecture.noiseDimension,
      minSites: 1,
    });
    const coordinator = await spawnCoordinator(layout.coordinatorConfig, join(federation, 'coordinator.log'));
    const site = new ManualSite(coordinator.url, 'site-1', layout.sites[0]!.keys, corpus, architecture);
    const admin = ['--url', coordinator.url, '--admin-key', layout.adminKey];
    const out = join(dir, 'exported.bundle');
    try {
      await waitFor('the training round', async () =>
        (await adminStatus(coordinator.url, layout.adminKey)).finished ? true : undefined,
      );

      // act
      const status = await emodistill('round', 'status', ...admin, '--json');
      const sites = await emodistill('sites', 'list', ...admin, '--json');
      const exported = await emodistill('coordinator', 'export', '--out', out, ...admin, '--json');

      // assert
      expect(status.json).toMatchObject({ finished: true, trainingRoundsDone: 1, latestVersion: { version: 2 } });
      expect(sites.json).toEqual({
        sites: [{ siteId: 'site-1', publicKey: expect.any(String), revoked: false, connected: true }],
      });
      const bundle = await readGeneratorBundle(out);
      expect(exported.json).toEqual({
        out,
        url: coordinator.url,
        released: false,
        globalVersion: 2,
        trainingRounds: 1,
        sites: ['site-1'],
        // A site that trained without DP: no guarantee, recorded as null figures.
        sitePrivacy: { 'site-1': { epsilonUtterance: null, epsilonSpeaker: null, delta: null } },
        weightsSha256: snapshotSha256(bundle.weights),
        signedBy: layout.coordinatorPublicKey,
      });
      await stat(out);
    } finally {
      site.close();
      coordinator.child.kill('SIGTERM');
      await coordinator.exited;
    }
  });
});
