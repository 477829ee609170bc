import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EMOTIONS, type Emotion } from './emotions.ts';
import { OUTPUT_SAMPLE_RATE_HZ, renderSpeaker, wavPath, type SpeakerJob, type UtteranceJob } from './render.ts';
import type { RenderWorkerMessage } from './render-worker.ts';
import { SENTENCES } from './sentences.ts';
import { createSpeakers, type Speaker } from './speakers.ts';

/**
 * Version of the generator, recorded in `corpus.json`. Raised whenever the same options start
 * giving different audio, so two corpora with equal options and versions are the same bytes.
 */
export const DEMO_CORPUS_GENERATOR_VERSION = 2;
const MIN_SPEAKERS = 8;
const MAX_SPEAKERS = 999; // ids are spk01…spk99, then spk100…
const MAX_WORKERS = 64;

export interface DemoCorpusOptions {
  /** Directory that receives `manifest.csv`, `corpus.json` and `wav/`; created if missing. */
  outDir: string;
  /** Number of speakers, 8–999. Default 10. */
  speakers?: number;
  /**
   * Sentences each speaker says in each emotion, 1–40: the same as `utterancesPerSpeaker` =
   * 4 × this. Default 10. Give at most one of the two.
   */
  sentencesPerEmotion?: number;
  /**
   * Utterances of each speaker, 4–160, dealt over the four emotions (when not a multiple of 4,
   * the first emotions get one more). Default 40.
   */
  utterancesPerSpeaker?: number;
  /** Seed of every random draw (speaker voices, jitter, noise); any integer. Default 1. */
  seed?: number;
  /**
   * Worker threads that render speakers in parallel, 1–64; 1 renders on the calling thread.
   * The output does not depend on it. Default: the number of CPUs, at most one per speaker.
   */
  workers?: number;
  /** Called after each utterance is written. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoCorpusResult {
  manifestPath: string;
  /** `corpus.json`: the options and totals of this corpus. */
  descriptionPath: string;
  utterances: number;
  /** Speaker ids, e.g. `spk01`. */
  speakers: string[];
  emotions: string[];
  /** Total audio duration, in seconds. */
  seconds: number;
}

/** Validated, defaults-filled options. */
interface DemoCorpusConfig {
  readonly outDir: string;
  readonly speakers: number;
  readonly utterancesPerSpeaker: number;
  readonly seed: number;
  readonly workers: number;
}

/**
 * Synthesises an acted-emotion demo corpus: every speaker says the same neutral sentences as
 * neutral, happy, angry and sad; `manifest.csv` lists `path,emotion,speaker,session` and
 * `corpus.json` the options that made it. The same options give byte-identical files, whatever
 * the number of workers. Files already in `outDir` that this corpus does not name are left
 * alone; the manifest is the corpus.
 */
export async function generateDemoCorpus(options: DemoCorpusOptions): Promise<DemoCorpusResult> {
  const config = resolveDemoCorpusConfig(options);
  const speakers = createSpeakers(config.speakers, config.seed);
  const jobs = speakers.map((speaker) => ({
    outDir: config.outDir,
    seed: config.seed,
    speaker,
    utterances: planUtterances(speaker, config.utterancesPerSpeaker),
  }));
  const total = jobs.reduce((sum, job) => sum + job.utterances.length, 0);
  await mkdir(join(config.outDir, 'wav'), { recursive: true });
  let done = 0;
  const onUtterance = (): void => {
    done += 1;
    options.onProgress?.(done, total);
  };
  const samples =
    config.workers === 1
      ? await renderInline(jobs, onUtterance)
      : await renderInWorkers(jobs, config.workers, onUtterance);
  const seconds = samples / OUTPUT_SAMPLE_RATE_HZ;
  const manifestPath = join(config.outDir, 'manifest.csv');
  await writeFile(manifestPath, manifestCsv(jobs));
  const descriptionPath = join(config.outDir, 'corpus.json');
  await writeFile(descriptionPath, describeCorpus(config, total, seconds));
  return {
    manifestPath,
    descriptionPath,
    utterances: total,
    speakers: speakers.map((speaker) => speaker.id),
    emotions: [...EMOTIONS],
    seconds,
  };
}

function resolveDemoCorpusConfig(options: DemoCorpusOptions): DemoCorpusConfig {
  if (options.outDir === '') throw new Error('demo corpus: outDir must be a directory path, got an empty string');
  if (options.sentencesPerEmotion !== undefined && options.utterancesPerSpeaker !== undefined) {
    throw new RangeError(
      `demo corpus: give sentencesPerEmotion (${options.sentencesPerEmotion}) or utterancesPerSpeaker ` +
        `(${options.utterancesPerSpeaker}), not both`,
    );
  }
  const speakers = options.speakers ?? 10;
  requireInteger('speakers', speakers, MIN_SPEAKERS, MAX_SPEAKERS);
  if (options.sentencesPerEmotion !== undefined) {
    requireInteger('sentencesPerEmotion', options.sentencesPerEmotion, 1, SENTENCES.length);
  }
  const utterancesPerSpeaker = options.utterancesPerSpeaker ?? EMOTIONS.length * (options.sentencesPerEmotion ?? 10);
  requireInteger('utterancesPerSpeaker', utterancesPerSpeaker, EMOTIONS.length, EMOTIONS.length * SENTENCES.length);
  const seed = options.seed ?? 1;
  requireInteger('seed', seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const workers = options.workers ?? Math.min(availableParallelism(), speakers);
  requireInteger('workers', workers, 1, MAX_WORKERS);
  return { outDir: options.outDir, speakers, utterancesPerSpeaker, seed, workers };
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`demo corpus: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Emotion, then sentence: the order the speaker's engine is driven in. */
function planUtterances(speaker: Speaker, utterancesPerSpeaker: number): UtteranceJob[] {
  return EMOTIONS.flatMap((emotion: Emotion, e) => {
    const count =
      Math.floor(utterancesPerSpeaker / EMOTIONS.length) + (e < utterancesPerSpeaker % EMOTIONS.length ? 1 : 0);
    return SENTENCES.slice(0, count).map((text, index) => ({
      id: `${speaker.id}_${emotion}_s${String(index + 1).padStart(2, '0')}`,
      emotion,
      text,
    }));
  });
}

async function renderInline(jobs: readonly SpeakerJob[], onUtterance: () => void): Promise<number> {
  let samples = 0;
  for (const job of jobs) samples += await renderSpeaker(job, onUtterance);
  return samples;
}

/**
 * Deals whole speakers to `workerCount` threads, the next speaker to whichever is free. Each
 * speaker is rendered by a fresh engine, so the assignment does not change any byte.
 */
async function renderInWorkers(
  jobs: readonly SpeakerJob[],
  workerCount: number,
  onUtterance: () => void,
): Promise<number> {
  const workers = Array.from({ length: Math.min(workerCount, jobs.length) }, () => startRenderWorker());
  let next = 0;
  let samples = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const dispatch = (): void => {
              const job = jobs[next++];
              if (job === undefined) resolve();
              else worker.postMessage(job);
            };
            worker.on('message', (message: RenderWorkerMessage) => {
              if (message.kind === 'utterance') onUtterance();
              else {
                samples += message.samples;
                dispatch();
              }
            });
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`demo corpus: a render worker exited with code ${code}`)));
            dispatch();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return samples;
}

/**
 * From the compiled package the worker is `render-worker.js`. From source (tsx, vitest) it is the
 * `.ts` file: Node 20 applies no `--import` loader to a worker's entry, so a small CommonJS entry
 * registers tsx in the worker and imports the `.ts` file through it, resolving `@emodistill/*`
 * to their sources (the `source` condition) as vitest and the tsconfig paths do.
 */
function startRenderWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./render-worker.js', import.meta.url));
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./render-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions', 'source'] });
}

/** Every field is an id or a number, so none needs CSV quoting. */
function manifestCsv(jobs: readonly SpeakerJob[]): string {
  const rows = jobs.flatMap((job) =>
    job.utterances.map((u) => [wavPath(u.id), u.emotion, job.speaker.id, String(job.speaker.session)].join(',')),
  );
  return ['path,emotion,speaker,session', ...rows].join('\n') + '\n';
}

/** `corpus.json`: what is needed to make the corpus again, and its totals. No time or worker count. */
function describeCorpus(config: DemoCorpusConfig, utterances: number, seconds: number): string {
  const description = {
    generator: '@emodistill/tools/demo-corpus',
    generatorVersion: DEMO_CORPUS_GENERATOR_VERSION,
    seed: config.seed,
    speakers: config.speakers,
    utterancesPerSpeaker: config.utterancesPerSpeaker,
    emotions: [...EMOTIONS],
    utterances,
    sampleRateHz: OUTPUT_SAMPLE_RATE_HZ,
    seconds: Math.round(seconds * 1000) / 1000,
    manifest: 'manifest.csv',
  };
  return JSON.stringify(description, null, 2) + '\n';
}
