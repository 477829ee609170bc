/**
 * `npm run bench:scale`: the paper's table on a corpus of the paper's size. Makes the large demo
 * corpus (tools/demo-corpus: 60 speakers × 100 utterances over 4 emotions by default), imports it
 * with `emodistill corpus import manifest`, and runs `emodistill bench distill --protocol
 * speaker-kfold:5`: real-full, random, herding and k-center subsets and synthetic sets at IPC
 * 10/50/100, with UAR, downstream training time and storage relative to real-full. Storage is
 * also given three ways for the generator side: the synthetic set, the generator bundle, the
 * corpus's audio. Works on any imported corpus too (--features), so nothing is tuned to this one.
 * Options: --corpus <dir> (an existing generated corpus: skip generation), --features <file.arrow>
 * (an imported corpus: skip generation and import), --speakers N (60), --utterances-per-speaker N
 * (100), --seed N (1), --ipc 10,50,100, --protocol speaker-kfold:5, --seeds N (3), --steps N,
 * --out <dir> (work folder, default a temporary one), --json <file>.
 * The CLI runs as its own process (the built `emodistill`): build first.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFeatureSet } from '@emodistill/core';
import { cliExecutable } from '@emodistill/harness';
import { generateDemoCorpus } from '../demo-corpus/index.ts';

const { values: args } = parseArgs({
  options: {
    corpus: { type: 'string' },
    features: { type: 'string' },
    speakers: { type: 'string', default: '60' },
    'utterances-per-speaker': { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    ipc: { type: 'string', default: '10,50,100' },
    protocol: { type: 'string', default: 'speaker-kfold:5' },
    seeds: { type: 'string', default: '3' },
    steps: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
  },
});

/** `emodistill <args>` in this terminal; rejects unless it exits 0. */
function runCli(args: readonly string[]): Promise<void> {
  const child = spawn(process.execPath, [cliExecutable(), ...args], { stdio: 'inherit' });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`emodistill ${args[0]} exited with ${code}`))));
  });
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** Bytes of the audio files a manifest lists (paths relative to it), or undefined without a manifest. */
async function audioBytes(manifest: string | undefined): Promise<number | undefined> {
  if (!manifest) return undefined;
  const [header, ...lines] = (await readFile(manifest, 'utf8')).trim().split('\n');
  const column = header!.split(',').indexOf('path');
  const sizes = await Promise.all(
    lines.map(async (line) => (await stat(resolve(dirname(manifest), line.split(',')[column]!))).size),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

const work = args.out ?? (await mkdtemp(join(tmpdir(), 'emodistill-scale-')));
await mkdir(work, { recursive: true });
let manifest: string | undefined;
let generationSeconds: number | undefined;
let importSeconds: number | undefined;
let features = args.features;
if (!features) {
  const corpusDir = args.corpus ?? join(work, 'corpus');
  if (!args.corpus) {
    const started = performance.now();
    await generateDemoCorpus({
      outDir: corpusDir,
      speakers: Number(args.speakers),
      utterancesPerSpeaker: Number(args['utterances-per-speaker']),
      seed: Number(args.seed),
    });
    generationSeconds = seconds(started);
    console.log(`corpus: generated in ${corpusDir} in ${generationSeconds.toFixed(0)} s`);
  }
  manifest = join(corpusDir, 'manifest.csv');
  features = join(work, 'features.arrow');
  const started = performance.now();
  await runCli(['corpus', 'import', 'manifest', manifest, '--out', features]);
  importSeconds = seconds(started);
}
const set = await readFeatureSet(features);
const speakers = new Set(set.speakers).size;
console.log(
  `corpus: ${set.ids.length} utterances, ${speakers} speakers, ${set.classNames.length} classes (${set.classNames.join(', ')})${importSeconds ? `; imported in ${importSeconds.toFixed(0)} s` : ''}`,
);

// The generator bundle's size depends only on the architecture and the feature dimension: one step makes one.
const bundle = join(work, 'generator.bundle');
await runCli(['distill', features, '--steps', '1', '--out', bundle]);
const bundleBytes = (await stat(bundle)).size;

const table = join(work, 'table.json');
const started = performance.now();
await runCli([
  'bench',
  'distill',
  features,
  '--protocol',
  args.protocol,
  '--ipc',
  args.ipc,
  '--seeds',
  args.seeds,
  '--coresets',
  'herding,k-center',
  ...(args.steps ? ['--steps', args.steps] : []),
  '--json-out',
  table,
]);
const benchSeconds = seconds(started);
const result = JSON.parse(await readFile(table, 'utf8')) as {
  rows: { row: string; ipc: number | null; trainBytes: number; relativeBytes: number; relativeTrainTime: number }[];
};
const realFull = result.rows.find((row) => row.ipc === null)!;
const audio = await audioBytes(manifest);
const trainingRows = Math.round(set.ids.length * (1 - 1 / Number(args.protocol.split(':')[1] ?? 5)));
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
console.log(
  `\nstorage against real-full (its feature rows: ${kib(realFull.trainBytes)}, about ${trainingRows} training rows per fold):`,
);
for (const row of result.rows.filter((r) => r.row.startsWith('synthetic'))) {
  const share = ((row.ipc! * set.classNames.length) / trainingRows) * 100;
  console.log(
    `  ${row.row} IPC ${row.ipc}: ${kib(row.trainBytes)} (${(row.relativeBytes * 100).toFixed(1)} % of real-full; ${share.toFixed(1)} % of the training rows), downstream training time ${(row.relativeTrainTime * 100).toFixed(1)} % of real-full`,
  );
}
console.log(
  `  the generator bundle: ${kib(bundleBytes)} (${((bundleBytes / realFull.trainBytes) * 100).toFixed(1)} % of real-full's features${audio ? `, ${((bundleBytes / audio) * 100).toFixed(2)} % of the corpus's audio, ${(audio / 2 ** 20).toFixed(0)} MiB` : ''})`,
);
const summary = {
  corpus: { utterances: set.ids.length, speakers, classNames: set.classNames, generationSeconds, importSeconds },
  protocol: args.protocol,
  benchSeconds,
  storage: { realFullFeatureBytes: realFull.trainBytes, bundleBytes, audioBytes: audio },
  table: result,
};
if (args.json) await writeFile(args.json, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\nbench:scale done in ${benchSeconds.toFixed(0)} s of benchmark; work folder ${work}`);
