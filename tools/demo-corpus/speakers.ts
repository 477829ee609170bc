import { gaussian, rngFor, uniform } from './prng.ts';

/**
 * espeak-ng voices as `language+variant`, alternating female and male so that each session
 * (a pair of speakers) holds one of each, as in IEMOCAP. Accents vary too. Variants with a
 * `breath` setting (f2, f3, f5, whisper, …) are left out: espeak seeds their noise from the
 * clock, which would make the corpus differ from run to run.
 */
const VOICES: readonly string[] = [
  'en-us+f1',
  'en-us+m3',
  'en-gb-x-rp+f4',
  'en-gb-x-rp+m1',
  'en-us+Andrea',
  'en-gb-scotland+m2',
  'en-gb-x-rp+linda',
  'en-us+m7',
  'en-us-nyc+Annie',
  'en-us+m6',
];

/** A speaker's neutral baseline; emotions are applied relative to it. */
export interface Speaker {
  /** `spk01`, `spk02`, … */
  id: string;
  /** 1-based recording session: speakers 1–2 are session 1, 3–4 session 2, and so on. */
  session: number;
  /** espeak-ng `language+variant`. */
  voice: string;
  /** espeak base pitch, 0–100 (50 = the variant's own). */
  pitch: number;
  /** espeak pitch range, 0–100 (50 = the variant's own). */
  pitchRange: number;
  rateWpm: number;
  /** RMS level of neutral speech, in dB re full scale 1.0. */
  levelDb: number;
  /** How strongly this speaker acts: multiplies every emotion's offsets from neutral. */
  expressiveness: number;
}

/**
 * Draws `count` speakers. Past the voice table the voices repeat, told apart by their drawn
 * baselines. Each speaker's draws depend only on the seed and its index.
 */
export function createSpeakers(count: number, seed: number): Speaker[] {
  return Array.from({ length: count }, (_, index) => createSpeaker(index, seed));
}

function createSpeaker(index: number, seed: number): Speaker {
  const id = `spk${String(index + 1).padStart(2, '0')}`;
  const rng = rngFor(seed, id);
  return {
    id,
    session: Math.floor(index / 2) + 1,
    voice: VOICES[index % VOICES.length]!, // in range: the index is taken modulo the length
    pitch: 50 + 5 * gaussian(rng),
    pitchRange: 50 + 5 * gaussian(rng),
    rateWpm: 165 * Math.exp(0.07 * gaussian(rng)),
    levelDb: -24 + 1.5 * gaussian(rng),
    expressiveness: uniform(rng, 0.7, 1.3),
  };
}
