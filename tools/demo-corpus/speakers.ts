import { gaussian, rngFor, uniform } from './prng.ts';

/**
 * espeak-ng voices as `language+variant`, alternating female and male so that each session
 * (a pair of speakers) holds one of each, as in IEMOCAP. These ten are the first ten speakers;
 * later speakers combine an accent from `ACCENTS` with a variant from `FEMALE_VARIANTS` or
 * `MALE_VARIANTS`.
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

/** English accents espeak-ng ships: US, RP, Scottish, New York, Lancaster, West Midlands, Caribbean. */
const ACCENTS: readonly string[] = [
  'en-us',
  'en-gb-x-rp',
  'en-gb-scotland',
  'en-us-nyc',
  'en-gb-x-gbclan',
  'en-gb-x-gbcwmd',
  'en-029',
];

/**
 * Variants checked to change the sound (espeak's set_voice accepts an unknown variant silently)
 * and to render byte-identically in two fresh engines. Variants with a `breath` setting (f2, f3,
 * f5, whisper, Alicia, …) or `victor` are left out: their noise is seeded from the clock.
 */
const FEMALE_VARIANTS: readonly string[] = ['f1', 'f4', 'Andrea', 'Annie', 'linda', 'shelby'];
const MALE_VARIANTS: readonly string[] = [
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'm8',
  'Alex',
  'Andy',
  'Denis',
  'Gene',
  'Hugo',
  'Marco',
  'Mario',
  'Michael',
  'Mike',
  'boris',
  'john',
  'norbert',
];

/** A speaker's neutral baseline and voice; emotions are applied relative to it. */
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
  /**
   * Vocal-tract-length-like warp: every frequency (formants and F0) is multiplied by this
   * factor (> 1 a shorter tract), see `renderUtterance`. About 0.88–1.14.
   */
  warpFactor: number;
  /** A resonance of the speaker's vocal tract: a peak added to every utterance. */
  resonance: ResonanceBand;
  /** An anti-resonance (e.g. a nasal or sinus zero): a dip added to every utterance. */
  antiResonance: ResonanceBand;
  /** Added to every utterance's spectral tilt (> 0 a brighter, tenser voice). */
  tilt: number;
  /** Added to every utterance's breath-noise level, in dB (> 0 a breathier voice). */
  breathDb: number;
  /** Depth of the speaker's cycle-to-cycle amplitude irregularity (shimmer), 0–1. */
  shimmer: number;
}

/** One peaking-filter band. */
export interface ResonanceBand {
  frequencyHz: number;
  /** Gain at the centre, in dB (< 0 a dip). */
  gainDb: number;
  /** Quality factor: centre frequency over bandwidth. */
  q: number;
}

/**
 * Draws `count` speakers. Each speaker's draws depend only on the seed and its index, so the
 * first speakers of a larger corpus are the speakers of a smaller one.
 */
export function createSpeakers(count: number, seed: number): Speaker[] {
  return Array.from({ length: count }, (_, index) => createSpeaker(index, seed));
}

function createSpeaker(index: number, seed: number): Speaker {
  const id = `spk${String(index + 1).padStart(2, '0')}`;
  const rng = rngFor(seed, id);
  const female = index % 2 === 0;
  const base = {
    id,
    session: Math.floor(index / 2) + 1,
    voice: voiceFor(index),
    pitch: 50 + 7 * gaussian(rng),
    pitchRange: 50 + 7 * gaussian(rng),
    rateWpm: 165 * Math.exp(0.1 * gaussian(rng)),
    levelDb: -24 + 1.5 * gaussian(rng),
    expressiveness: uniform(rng, 0.7, 1.3),
  };
  // Drawn after the baseline so the baseline draws of a seed stay what they were.
  const warpFactor = female ? uniform(rng, 0.98, 1.14) : uniform(rng, 0.88, 1.04);
  return {
    ...base,
    // Rounded to 0.005 so that a corpus needs few resampling ratios (each is a converter).
    warpFactor: Math.round(warpFactor * 200) / 200,
    resonance: { frequencyHz: logUniform(rng, 1200, 4000), gainDb: uniform(rng, 4, 10), q: uniform(rng, 1.5, 4) },
    antiResonance: {
      frequencyHz: logUniform(rng, 2000, 6500),
      gainDb: -uniform(rng, 4, 12),
      q: uniform(rng, 1.5, 4),
    },
    tilt: 0.15 * gaussian(rng),
    breathDb: 4 * gaussian(rng),
    shimmer: uniform(rng, 0, 0.25),
  };
}

/** The fixed table first, then accent × variant combinations that cycle at different periods. */
function voiceFor(index: number): string {
  const fixed = VOICES[index];
  if (fixed !== undefined) return fixed;
  const k = Math.floor(index / 2);
  const variants = index % 2 === 0 ? FEMALE_VARIANTS : MALE_VARIANTS;
  return `${ACCENTS[k % ACCENTS.length]!}+${variants[k % variants.length]!}`;
}

function logUniform(rng: () => number, low: number, high: number): number {
  return Math.exp(uniform(rng, Math.log(low), Math.log(high)));
}
