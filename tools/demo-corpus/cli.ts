import { parseArgs } from 'node:util';
import { generateDemoCorpus } from './generate.ts';

const USAGE =
  'usage: tsx tools/demo-corpus/cli.ts --out <dir> [--speakers N] ' +
  '[--sentences N | --utterances-per-speaker N] [--seed N] [--workers N]';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    speakers: { type: 'string' },
    sentences: { type: 'string' },
    'utterances-per-speaker': { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
  },
  strict: true,
});

/** Number('') is 0, so an empty value is refused here rather than read as zero. */
function parseIntegerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, got '${text}'\n${USAGE}`);
  return value;
}

if (values.out === undefined) {
  console.error(USAGE);
  process.exit(2);
}

const startMs = performance.now();
const result = await generateDemoCorpus({
  outDir: values.out,
  speakers: parseIntegerFlag('speakers', values.speakers),
  sentencesPerEmotion: parseIntegerFlag('sentences', values.sentences),
  utterancesPerSpeaker: parseIntegerFlag('utterances-per-speaker', values['utterances-per-speaker']),
  seed: parseIntegerFlag('seed', values.seed),
  workers: parseIntegerFlag('workers', values.workers),
}).catch((error: unknown) => {
  // A bad option is the user's to fix: one line and the usage, not a stack.
  if (!(error instanceof RangeError)) throw error;
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
});
const elapsedSeconds = (performance.now() - startMs) / 1000;
console.log(
  `demo corpus: ${result.utterances} utterances, ${result.speakers.length} speakers, ` +
    `${result.emotions.join('/')}, ${result.seconds.toFixed(1)} s of audio in ${elapsedSeconds.toFixed(1)} s → ${result.manifestPath}`,
);
