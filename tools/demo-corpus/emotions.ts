import { gaussian, type Rng } from './prng.ts';
import type { Speaker } from './speakers.ts';

export const EMOTIONS = ['neutral', 'happy', 'angry', 'sad'] as const;
export type Emotion = (typeof EMOTIONS)[number];

/**
 * How an emotion moves prosody away from a speaker's neutral baseline, following the acoustic
 * profiles of acted speech (Banse & Scherer 1996; Juslin & Laukka 2003): angry and happy raise
 * pitch, range, rate and level, happy with the widest range, angry the loudest, fastest and
 * most tense; sad lowers all of them and sounds lax and breathy.
 */
interface EmotionProfile {
  /** Added to espeak's pitch (0–100; 10 units ≈ +10 % F0, measured on en-us+f1 and +m3). */
  pitchShift: number;
  /** Multiplies espeak's pitch range. */
  rangeFactor: number;
  /** Multiplies the speaking rate. */
  rateFactor: number;
  /** Added to the RMS level, in dB. */
  levelDb: number;
  /** Spectral tilt, see `applySpectralTilt` (> 0 brighter, < 0 darker). */
  tilt: number;
  /** Added to the breath-noise level, in dB. */
  breathDb: number;
}

const PROFILES: Readonly<Record<Emotion, EmotionProfile>> = {
  neutral: { pitchShift: 0, rangeFactor: 1, rateFactor: 1, levelDb: 0, tilt: 0, breathDb: 0 },
  happy: { pitchShift: 7, rangeFactor: 1.6, rateFactor: 1.04, levelDb: 2, tilt: 0.1, breathDb: 2 },
  angry: { pitchShift: 5, rangeFactor: 1.3, rateFactor: 1.12, levelDb: 5, tilt: 0.35, breathDb: -4 },
  sad: { pitchShift: -5, rangeFactor: 0.55, rateFactor: 0.85, levelDb: -4, tilt: -0.35, breathDb: 10 },
};

/** Breath noise of neutral speech relative to the speech, in dB: present but barely audible. */
const NEUTRAL_BREATH_DB = -40;

/**
 * Per-utterance standard deviations. They make the classes overlap as acted speech does: no
 * two renditions are alike, so a classifier on prosodic features is well above chance but far
 * from perfect.
 */
const JITTER = {
  pitchShift: 4.5,
  /** of the log range factor */
  logRange: 0.2,
  /** of the log rate factor */
  logRate: 0.08,
  levelDb: 2,
  tilt: 0.15,
  breathDb: 3.5,
} as const;

/** The prosody one utterance is rendered with. */
export interface UtteranceProsody {
  /** espeak base pitch, 0–100. */
  pitch: number;
  /** espeak pitch range, 0–100. */
  pitchRange: number;
  rateWpm: number;
  /** RMS level, in dB re full scale 1.0. */
  levelDb: number;
  /** In (−1, 1), see `applySpectralTilt`. */
  tilt: number;
  /** Breath-noise level relative to the speech, in dB. */
  breathDb: number;
}

/**
 * The speaker's baseline (including their own tilt and breathiness) moved by the emotion's
 * profile, scaled by the speaker's expressiveness, plus Gaussian jitter drawn from `rng`.
 */
export function utteranceProsody(speaker: Speaker, emotion: Emotion, rng: Rng): UtteranceProsody {
  const profile = PROFILES[emotion];
  const strength = speaker.expressiveness;
  return {
    pitch: speaker.pitch + strength * profile.pitchShift + JITTER.pitchShift * gaussian(rng),
    pitchRange: speaker.pitchRange * profile.rangeFactor ** strength * Math.exp(JITTER.logRange * gaussian(rng)),
    rateWpm: speaker.rateWpm * profile.rateFactor ** strength * Math.exp(JITTER.logRate * gaussian(rng)),
    levelDb: speaker.levelDb + strength * profile.levelDb + JITTER.levelDb * gaussian(rng),
    tilt: clamp(speaker.tilt + strength * profile.tilt + JITTER.tilt * gaussian(rng), -0.9, 0.9),
    breathDb: NEUTRAL_BREATH_DB + speaker.breathDb + strength * profile.breathDb + JITTER.breathDb * gaussian(rng),
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
