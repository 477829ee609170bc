import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { resample } from '@emodistill/core';
import { addBreathNoise, applySpectralTilt, floatToInt16, scaleToRmsDb } from './dsp.ts';
import { EMOTIONS, utteranceProsody, type Emotion } from './emotions.ts';
import { createEspeakEngine, type EspeakEngine } from './espeak.ts';
import { rngFor } from './prng.ts';
import { SENTENCES } from './sentences.ts';
import { createSpeakers, type Speaker } from './speakers.ts';

/** Output format of every file: 16-bit PCM, mono, at this rate. */
const OUTPUT_SAMPLE_RATE_HZ = 16000;
const MIN_SPEAKERS = 8;
const MAX_SPEAKERS = 99; // ids are spk01…spk99

export interface DemoCorpusOptions {
  /** Directory that receives `manifest.csv` and `wav/`; created if missing. */
  outDir: string;
  /** Number of speakers, 8–99. Default 10. */
  speakers?: number;
  /** Sentences each speaker says in each emotion, 1–12. Default 10. */
  sentencesPerEmotion?: number;
  /** Seed of every random draw (speaker baselines, jitter, noise); any integer. Default 1. */
  seed?: number;
  /** Called after each utterance is written. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoCorpusResult {
  manifestPath: string;
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
  readonly sentencesPerEmotion: number;
  readonly seed: number;
}

interface PlannedUtterance {
  /** e.g. `spk01_angry_s03` */
  id: string;
  speaker: Speaker;
  emotion: Emotion;
  text: string;
}

/**
 * Synthesises an acted-emotion demo corpus: every speaker says the same neutral sentences as
 * neutral, happy, angry and sad, and `manifest.csv` lists `path,emotion,speaker,session`.
 * The same options give byte-identical files. Files already in `outDir` that this corpus does
 * not name are left alone; the manifest is the corpus.
 */
export async function generateDemoCorpus(options: DemoCorpusOptions): Promise<DemoCorpusResult> {
  const config = resolveDemoCorpusConfig(options);
  const speakers = createSpeakers(config.speakers, config.seed);
  const plan = planUtterances(speakers, config.sentencesPerEmotion);
  await mkdir(join(config.outDir, 'wav'), { recursive: true });
  const engine = await createEspeakEngine();
  let totalSamples = 0;
  for (const [index, utterance] of plan.entries()) {
    const pcm = await renderUtterance(engine, utterance, config.seed);
    await writeFile(join(config.outDir, wavPath(utterance)), encodeWav(pcm));
    totalSamples += pcm.length;
    options.onProgress?.(index + 1, plan.length);
  }
  const manifestPath = join(config.outDir, 'manifest.csv');
  await writeFile(manifestPath, manifestCsv(plan));
  return {
    manifestPath,
    utterances: plan.length,
    speakers: speakers.map((speaker) => speaker.id),
    emotions: [...EMOTIONS],
    seconds: totalSamples / OUTPUT_SAMPLE_RATE_HZ,
  };
}

function resolveDemoCorpusConfig(options: DemoCorpusOptions): DemoCorpusConfig {
  const config = {
    outDir: options.outDir,
    speakers: options.speakers ?? 10,
    sentencesPerEmotion: options.sentencesPerEmotion ?? 10,
    seed: options.seed ?? 1,
  };
  if (config.outDir === '') throw new Error('demo corpus: outDir must be a directory path, got an empty string');
  requireInteger('speakers', config.speakers, MIN_SPEAKERS, MAX_SPEAKERS);
  requireInteger('sentencesPerEmotion', config.sentencesPerEmotion, 1, SENTENCES.length);
  requireInteger('seed', config.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return config;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`demo corpus: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Speaker-major, then emotion, then sentence: the order the engine is driven in. */
function planUtterances(speakers: readonly Speaker[], sentencesPerEmotion: number): PlannedUtterance[] {
  return speakers.flatMap((speaker) =>
    EMOTIONS.flatMap((emotion) =>
      SENTENCES.slice(0, sentencesPerEmotion).map((text, index) => ({
        id: `${speaker.id}_${emotion}_s${String(index + 1).padStart(2, '0')}`,
        speaker,
        emotion,
        text,
      })),
    ),
  );
}

/**
 * espeak renders pitch, range and rate; loudness and voice quality (tilt, breathiness) are
 * applied afterwards on the 16 kHz signal, where they are exact and cannot clip inside espeak.
 */
async function renderUtterance(engine: EspeakEngine, utterance: PlannedUtterance, seed: number): Promise<Int16Array> {
  const rng = rngFor(seed, utterance.id);
  const prosody = utteranceProsody(utterance.speaker, utterance.emotion, rng);
  const speech = engine.synthesize({
    text: utterance.text,
    voice: utterance.speaker.voice,
    rateWpm: prosody.rateWpm,
    pitch: prosody.pitch,
    pitchRange: prosody.pitchRange,
  });
  const resampled = await resample(speech, engine.sampleRateHz, OUTPUT_SAMPLE_RATE_HZ);
  const tilted = applySpectralTilt(resampled, prosody.tilt);
  const breathy = addBreathNoise(tilted, { levelDb: prosody.breathDb, sampleRateHz: OUTPUT_SAMPLE_RATE_HZ, rng });
  return floatToInt16(scaleToRmsDb(breathy, prosody.levelDb));
}

function encodeWav(pcm: Int16Array): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, OUTPUT_SAMPLE_RATE_HZ, '16', pcm);
  return wav.toBuffer();
}

function wavPath(utterance: PlannedUtterance): string {
  return `wav/${utterance.id}.wav`;
}

/** Every field is an id or a number, so none needs CSV quoting. */
function manifestCsv(plan: readonly PlannedUtterance[]): string {
  const rows = plan.map((u) => [wavPath(u), u.emotion, u.speaker.id, String(u.speaker.session)].join(','));
  return ['path,emotion,speaker,session', ...rows].join('\n') + '\n';
}
