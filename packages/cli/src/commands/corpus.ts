import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  extractFeatureSet,
  importEmbeddings,
  listEmodb,
  listFolders,
  listIemocap,
  listManifest,
  readFeatureSet,
  splitBySpeakers,
  summariseFeatureSet,
  writeFeatureSet,
  type CorpusListing,
  type EmodbTask,
  type FeatureSet,
  type FeatureSetSummary,
  type LabelCount,
} from '@emodistill/core';
import { checkOutputPaths } from '../checks.js';
import { CLI_ERRORS, CliError } from '../errors.js';
import type { CommandContext } from '../context.js';
import { formatTable } from '../format.js';
import { parsePositiveInt } from '../options.js';
import { jsonOption, printResult } from '../output.js';
import { createProgress } from '../progress.js';

export const CORPUS_FORMATS = ['emodb', 'iemocap', 'manifest', 'folders', 'embeddings'] as const;
type CorpusFormat = (typeof CORPUS_FORMATS)[number];

interface ImportFlags {
  out: string;
  task: EmodbTask;
  speakerRegex?: string;
  manifest?: string;
  classes?: string[];
  model?: string;
  workers: number;
  json?: boolean;
}

interface SplitFlags {
  testSpeakers: string[];
  outTrain: string;
  outTest: string;
  json?: boolean;
}

export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list, e.g. a,b');
  return items;
}

function listCorpus(
  format: Exclude<CorpusFormat, 'embeddings'>,
  path: string,
  flags: ImportFlags,
): Promise<CorpusListing> {
  switch (format) {
    case 'emodb':
      return listEmodb(path, flags.task);
    case 'iemocap':
      return listIemocap(path);
    case 'manifest':
      return listManifest(path, { classes: flags.classes });
    case 'folders':
      if (!flags.speakerRegex)
        throw new CliError(
          CLI_ERRORS.missingOption,
          'corpus import folders needs --speaker-regex (e.g. "^(\\w+?)_" for spk01_take3.wav)',
        );
      return listFolders(path, { speakerRegex: flags.speakerRegex, classes: flags.classes });
  }
}

async function importCorpus(
  format: CorpusFormat,
  path: string,
  flags: ImportFlags,
  context: CommandContext,
): Promise<void> {
  await checkOutputPaths([{ option: '--out', path: flags.out }]);
  let set: FeatureSet;
  if (format === 'embeddings') {
    if (!flags.manifest)
      throw new CliError(
        CLI_ERRORS.missingOption,
        'corpus import embeddings needs --manifest <file> (CSV/JSONL with emotion,speaker per .npy row)',
      );
    set = await importEmbeddings(path, flags.manifest, { model: flags.model, classes: flags.classes });
  } else {
    const listing = await listCorpus(format, path, flags);
    context.log.info({ format, path, utterances: listing.entries.length }, 'corpus listed');
    const progress = createProgress('extracting');
    try {
      const result = await extractFeatureSet(listing, {
        workers: flags.workers,
        onProgress: (done, total, entry) => progress.update(done, total, entry.id),
      });
      set = result.set;
      const { audioSeconds, extractionSeconds } = result.stats;
      context.log.info(
        { audioSeconds, extractionSeconds, realtimeFactor: audioSeconds / extractionSeconds, workers: flags.workers },
        'features extracted',
      );
    } finally {
      progress.stop();
    }
  }
  await writeFeatureSet(flags.out, set);
  printResult(context, flags, { out: flags.out, ...summariseFeatureSet(set) }, wroteSet);
}

/** The text of a command that wrote a feature set: its path, then its summary. */
export function wroteSet(result: FeatureSetSummary & { out: string }): string {
  return `wrote ${result.out}\n${describeSummary(result)}`;
}

function countsTable(title: string, counts: readonly LabelCount[]): string {
  return formatTable(
    [title, 'utterances'],
    counts.map(({ value, utterances }) => [value, String(utterances)]),
  );
}

/** The human-readable `corpus info` text. */
export function describeSummary(summary: FeatureSetSummary): string {
  const sessions = summary.perSession.length;
  return [
    `${summary.utterances} utterances, ${summary.perSpeaker.length} speakers, ${summary.classNames.length} emotions${sessions ? `, ${sessions} sessions` : ''}`,
    `features: ${summary.feature.name} v${summary.feature.version}, ${summary.dimension} dimensions; source ${summary.corpus.source} (${summary.corpus.task}), created ${summary.corpus.createdAt}`,
    '',
    countsTable('emotion', summary.perEmotion),
    '',
    countsTable('speaker', summary.perSpeaker),
    ...(sessions ? ['', countsTable('session', summary.perSession)] : []),
  ].join('\n');
}

export function corpusCommand(context: () => CommandContext): Command {
  const corpus = new Command('corpus').description('import corpora into feature sets, inspect and split them');

  corpus
    .command('import')
    .description('extract features from a corpus into a feature set file (Apache Arrow IPC)')
    .addArgument(new Command().createArgument('<format>', 'corpus layout').choices(CORPUS_FORMATS))
    .argument(
      '<path>',
      'emodb: the wav/ folder · iemocap: IEMOCAP_full_release · manifest: the CSV/JSONL · folders: the root · embeddings: the .npy file',
    )
    .requiredOption('--out <file.arrow>', 'feature set file to write')
    .addOption(new Option('--task <task>', 'EmoDB task').choices(['7class', '4class']).default('7class'))
    .option('--speaker-regex <regex>', 'folders: regular expression on the file name; its first group is the speaker')
    .option('--manifest <file>', 'embeddings: CSV/JSONL with emotion,speaker[,id,session] for each .npy row')
    .option(
      '--classes <list>',
      'allowed emotions in model order, comma-separated (default: all found, sorted)',
      parseList,
    )
    .option('--model <name>', 'embeddings: the model that produced them, recorded in the feature spec')
    .addOption(
      new Option('--workers <n>', 'worker threads extracting audio files in parallel; 1 extracts in-process')
        .argParser(parsePositiveInt)
        .default(availableParallelism(), `the number of cores, ${availableParallelism()} here`),
    )
    .addOption(jsonOption())
    .action((format: CorpusFormat, path: string, flags: ImportFlags) => importCorpus(format, path, flags, context()));

  corpus
    .command('info')
    .description('counts per emotion, speaker and session, and the feature spec')
    .argument('<file.arrow>', 'feature set file')
    .addOption(jsonOption())
    .option('--dimensions', 'also list every feature dimension name')
    .action(async (file: string, flags: { json?: boolean; dimensions?: boolean }) => {
      const set = await readFeatureSet(file);
      const result = {
        file,
        ...summariseFeatureSet(set),
        ...(flags.dimensions && { dimensionNames: set.spec.dimensionNames }),
      };
      printResult(context(), flags, result, (r) =>
        [
          describeSummary(r),
          ...(r.dimensionNames ? ['', r.dimensionNames.map((name, i) => `${i}\t${name}`).join('\n')] : []),
        ].join('\n'),
      );
    });

  corpus
    .command('split')
    .description('split a feature set by speaker into training and test files')
    .argument('<file.arrow>', 'feature set file')
    .requiredOption('--test-speakers <list>', 'comma-separated speakers for the test set', parseList)
    .requiredOption('--out-train <file.arrow>', 'training set to write')
    .requiredOption('--out-test <file.arrow>', 'test set to write')
    .addOption(jsonOption())
    .action(async (file: string, flags: SplitFlags) => {
      await checkOutputPaths([
        { option: '--out-train', path: flags.outTrain },
        { option: '--out-test', path: flags.outTest },
      ]);
      const { train, test } = splitBySpeakers(await readFeatureSet(file), flags.testSpeakers);
      if (train.ids.length === 0)
        throw new CliError(
          CLI_ERRORS.noRows,
          `--test-speakers ${flags.testSpeakers.join(',')} are every speaker of ${file}: nothing would be left for ${flags.outTrain}`,
        );
      await writeFeatureSet(flags.outTrain, train);
      await writeFeatureSet(flags.outTest, test);
      const side = (out: string, set: FeatureSet) => ({
        out,
        utterances: set.ids.length,
        speakers: [...new Set(set.speakers)],
      });
      printResult(
        context(),
        flags,
        { file, train: side(flags.outTrain, train), test: side(flags.outTest, test) },
        (result) =>
          `wrote ${result.train.out} (${result.train.utterances} utterances) and ${result.test.out} (${result.test.utterances} utterances, speakers ${result.test.speakers.join(', ')})`,
      );
    });

  return corpus;
}
