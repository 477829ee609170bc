import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { resample } from '@emodistill/core/speech';
import {
  addBreathNoise,
  addShimmer,
  applyPeakingFilter,
  applySpectralTilt,
  floatToInt16,
  scaleToRmsDb,
} from './dsp.ts';
import { utteranceProsody, type Emotion } from './emotions.ts';
import { createEspeakEngine, type EspeakEngine } from './espeak.ts';
import { rngFor } from './prng.ts';
import type { Speaker } from './speakers.ts';

/** Output format of every file: 16-bit PCM, mono, at this rate. */
export const OUTPUT_SAMPLE_RATE_HZ = 16000;

/** One utterance of a speaker: what to say and how. */
export interface UtteranceJob {
  /** e.g. `spk01_angry_s03`; the file is `wav/<id>.wav` and the key of the utterance's random draws. */
  id: string;
  emotion: Emotion;
  text: string;
}

/**
 * The unit of work of a render worker: all utterances of one speaker, in order. Plain data, so
 * it can be posted to a worker thread.
 */
export interface SpeakerJob {
  outDir: string;
  seed: number;
  speaker: Speaker;
  utterances: readonly UtteranceJob[];
}

/**
 * Renders and writes one speaker's utterances with a fresh espeak-ng instance. espeak carries
 * phase state from one utterance to the next, so a fresh engine per speaker and a fixed order
 * within the speaker make each file depend only on the options, not on which worker ran it or
 * what it rendered before.
 * @returns the number of samples written, at `OUTPUT_SAMPLE_RATE_HZ`
 */
export async function renderSpeaker(job: SpeakerJob, onUtterance: () => void): Promise<number> {
  const engine = await createEspeakEngine();
  let samples = 0;
  for (const utterance of job.utterances) {
    const pcm = await renderUtterance(engine, job.speaker, utterance, job.seed);
    await writeFile(join(job.outDir, wavPath(utterance.id)), encodeWav(pcm));
    samples += pcm.length;
    onUtterance();
  }
  return samples;
}

export function wavPath(id: string): string {
  return `wav/${id}.wav`;
}

/**
 * espeak renders pitch, range and rate. The vocal-tract warp is a resampling trick: the 22.05 kHz
 * output is read as if recorded at `warpFactor` × 22.05 kHz, which scales every frequency by the
 * factor (and the duration by its inverse, which the rate asked of espeak compensates). Loudness,
 * voice quality (tilt, resonances, shimmer, breathiness) are applied afterwards on the 16 kHz
 * signal, where they are exact and cannot clip inside espeak.
 */
async function renderUtterance(
  engine: EspeakEngine,
  speaker: Speaker,
  utterance: UtteranceJob,
  seed: number,
): Promise<Int16Array> {
  const rng = rngFor(seed, utterance.id);
  const prosody = utteranceProsody(speaker, utterance.emotion, rng);
  const speech = engine.synthesize({
    text: utterance.text,
    voice: speaker.voice,
    rateWpm: prosody.rateWpm / speaker.warpFactor,
    pitch: prosody.pitch,
    pitchRange: prosody.pitchRange,
  });
  const warpedRateHz = Math.round(engine.sampleRateHz * speaker.warpFactor);
  const resampled = await resample(speech, warpedRateHz, OUTPUT_SAMPLE_RATE_HZ);
  const sampleRateHz = OUTPUT_SAMPLE_RATE_HZ;
  const resonant = applyPeakingFilter(applyPeakingFilter(resampled, { ...speaker.resonance, sampleRateHz }), {
    ...speaker.antiResonance,
    sampleRateHz,
  });
  const tilted = applySpectralTilt(resonant, prosody.tilt);
  const rough = addShimmer(tilted, { depth: speaker.shimmer, sampleRateHz, rng });
  const breathy = addBreathNoise(rough, { levelDb: prosody.breathDb, sampleRateHz, rng });
  return floatToInt16(scaleToRmsDb(breathy, prosody.levelDb));
}

function encodeWav(pcm: Int16Array): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, OUTPUT_SAMPLE_RATE_HZ, '16', pcm);
  return wav.toBuffer();
}
