import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import {
  EmodistillError,
  ERROR_CODES,
  evaluateDownstream,
  extractFeatureSet,
  foldsFor,
  listManifest,
  meanAndStd,
  selectBackend,
  splitBySpeakers,
  summariseFeatureSet,
  writeFeatureSet,
  type BackendName,
} from '@emodistill/core';
import type { CommandContext } from '../context.js';
import { formatPercent, formatTable } from '../format.js';
import { createProgress } from '../progress.js';
import { describeSummary } from './corpus.js';
import { backendOption } from '../options.js';

/** The demo-corpus generator lives in the repository's dev-only tools package (it uses GPL espeak-ng). */
interface DemoCorpusModule {
  generateDemoCorpus(options: { outDir: string; speakers?: number; sentencesPerEmotion?: number; onProgress?: (done: number, total: number) => void }): Promise<{ manifestPath: string; utterances: number; seconds: number }>;
}

const DEMO_CORPUS_MODULE = '@emodistill/tools/demo-corpus';

async function loadDemoCorpusGenerator(): Promise<DemoCorpusModule> {
  try {
    return (await import(DEMO_CORPUS_MODULE)) as DemoCorpusModule;
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.invalidOption, 'the demo corpus generator (tools/ of the emodistill repository) is not installed: run the demo from a clone after `npm ci`', { cause: error });
  }
}

interface DemoFlags {
  out: string;
  quick?: boolean;
  backend: BackendName;
}

async function runDemo(flags: DemoFlags, context: CommandContext): Promise<void> {
  const { log, print } = context;
  const outDir = resolve(flags.out);
  const corpusDir = join(outDir, 'corpus');
  await mkdir(outDir, { recursive: true });

  const { generateDemoCorpus } = await loadDemoCorpusGenerator();
  const generating = createProgress('1/3 synthesising demo corpus');
  const corpus = await generateDemoCorpus({ outDir: corpusDir, ...(flags.quick ? { speakers: 8, sentencesPerEmotion: 3 } : {}), onProgress: (done, total) => generating.update(done, total) });
  generating.stop();
  log.info({ utterances: corpus.utterances, audioSeconds: corpus.seconds, corpusDir }, 'demo corpus written');

  const extracting = createProgress('2/3 extracting features   ');
  const { set, stats } = await extractFeatureSet(await listManifest(corpus.manifestPath), { onProgress: (done, total, entry) => extracting.update(done, total, entry.id) });
  extracting.stop();
  const featuresPath = join(outDir, 'demo.arrow');
  await writeFeatureSet(featuresPath, set);
  log.info({ featuresPath, realtimeFactor: stats.audioSeconds / stats.extractionSeconds }, 'features written');

  const backend = await selectBackend(flags.backend);
  const folds = foldsFor(set, 'session');
  const seeds = flags.quick ? [0] : [0, 1, 2];
  const evaluating = createProgress('3/3 real-data baseline    ');
  const foldResults = folds.map((testSpeakers, index) => {
    const { train, test } = splitBySpeakers(set, testSpeakers);
    const result = evaluateDownstream(train, test, { seeds, classifier: flags.quick ? { epochs: 30 } : {} });
    evaluating.update(index + 1, folds.length, `held out ${testSpeakers.join('+')}`);
    return { testSpeakers, uar: result.uar.mean, wa: result.wa.mean, trainSeconds: result.trainSeconds.mean };
  });
  evaluating.stop();

  const report = {
    kind: 'emodistill-demo',
    version: 1,
    backend,
    corpus: summariseFeatureSet(set),
    featureExtraction: { audioSeconds: stats.audioSeconds, seconds: stats.extractionSeconds },
    protocol: `leave-one-session-out over ${folds.length} folds (two speakers each), seeds ${seeds.join(',')}`,
    realFull: { uar: meanAndStd(foldResults.map((f) => f.uar)), wa: meanAndStd(foldResults.map((f) => f.wa)), folds: foldResults },
  };
  const reportPath = join(outDir, 'report.json');
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  print(
    [
      describeSummary(report.corpus),
      '',
      `downstream emotion classifier, ${report.protocol}, backend ${backend}:`,
      formatTable(['training set', 'UAR %', 'WA %'], [['real-full', formatPercent(report.realFull.uar), formatPercent(report.realFull.wa)]]),
      '',
      `report: ${reportPath}`,
      `feature set: ${featuresPath} (try: emodistill corpus info ${featuresPath})`,
    ].join('\n'),
  );
}

export function demoCommand(context: () => CommandContext): Command {
  return new Command('demo')
    .description('run the whole pipeline on a demo corpus the project synthesises itself (no data needed)')
    .option('--out <dir>', 'where the corpus, feature set and report go', 'emodistill-demo')
    .option('--quick', 'a smaller corpus and fewer training runs (about a minute)')
    .addOption(backendOption())
    .action((flags: DemoFlags) => runDemo(flags, context()));
}
