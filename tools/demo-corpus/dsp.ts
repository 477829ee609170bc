import { gaussian, type Rng } from './prng.ts';

/** Time constant of the envelope that shapes breath noise, in seconds (about a syllable's attack). */
const BREATH_ENVELOPE_SECONDS = 0.01;

/**
 * Tilts the spectrum: `tilt` > 0 is first-order pre-emphasis y[n] = x[n] − tilt·x[n−1]
 * (brighter, like the tense voice of high arousal); `tilt` < 0 is a one-pole low-pass with pole
 * |tilt| (darker, like a lax voice). Level changes are left to `scaleToRmsDb`.
 * @param tilt in (−1, 1); 0 returns a copy
 */
export function applySpectralTilt(samples: Float32Array, tilt: number): Float32Array {
  const out = new Float32Array(samples.length);
  let previousIn = 0;
  let previousOut = 0;
  for (let n = 0; n < samples.length; n++) {
    const x = samples[n] ?? 0;
    previousOut = tilt >= 0 ? x - tilt * previousIn : (1 + tilt) * x - tilt * previousOut;
    previousIn = x;
    out[n] = previousOut;
  }
  return out;
}

/**
 * Peaking-EQ biquad (Bristow-Johnson's Audio EQ Cookbook): boosts (`gainDb` > 0) or cuts a band
 * around `frequencyHz`, leaving the rest of the spectrum at unit gain. Used for a speaker's
 * fixed resonance and anti-resonance, which real speakers carry in every utterance.
 * @returns a new array (caller owns it)
 */
export function applyPeakingFilter(
  samples: Float32Array,
  band: { frequencyHz: number; gainDb: number; q: number; sampleRateHz: number },
): Float32Array {
  const a = 10 ** (band.gainDb / 40);
  const omega = (2 * Math.PI * band.frequencyHz) / band.sampleRateHz;
  const alpha = Math.sin(omega) / (2 * band.q);
  const cos = Math.cos(omega);
  const a0 = 1 + alpha / a;
  const [b0, b1, b2] = [(1 + alpha * a) / a0, (-2 * cos) / a0, (1 - alpha * a) / a0];
  const [a1, a2] = [(-2 * cos) / a0, (1 - alpha / a) / a0];
  const out = new Float32Array(samples.length);
  let [x1, x2, y1, y2] = [0, 0, 0, 0];
  for (let n = 0; n < samples.length; n++) {
    const x = samples[n] ?? 0;
    const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    [x2, x1, y2, y1] = [x1, x, y1, y];
    out[n] = y;
  }
  return out;
}

/** Correlation time of the shimmer envelope, in seconds (a few glottal cycles). */
const SHIMMER_SECONDS = 0.008;

/**
 * Amplitude irregularity (shimmer): multiplies by 1 + `depth`·g[n], g a unit-variance Gaussian
 * process low-passed to a few glottal cycles, so a rough voice's loudness flickers.
 * @param depth 0–1; 0 returns a copy
 * @returns a new array (caller owns it)
 */
export function addShimmer(
  samples: Float32Array,
  options: { depth: number; sampleRateHz: number; rng: Rng },
): Float32Array {
  const decay = Math.exp(-1 / (SHIMMER_SECONDS * options.sampleRateHz));
  // A one-pole low-pass of unit-variance white noise has variance (1 − decay) / (1 + decay).
  const norm = Math.sqrt((1 + decay) / (1 - decay));
  let state = 0;
  return samples.map((x) => {
    state = decay * state + (1 - decay) * gaussian(options.rng);
    return x * Math.max(0, 1 + options.depth * norm * state);
  });
}

export interface BreathNoiseOptions {
  /** Noise RMS relative to the speech RMS, in dB (e.g. −25 is audible breathiness). */
  levelDb: number;
  sampleRateHz: number;
  rng: Rng;
}

/**
 * Adds aspiration-like noise: white noise, first-differenced so it sits in the upper spectrum
 * like turbulent airflow, and gated by the speech envelope so pauses stay silent.
 * @returns a new array (caller owns it)
 */
export function addBreathNoise(samples: Float32Array, options: BreathNoiseOptions): Float32Array {
  const decay = Math.exp(-1 / (BREATH_ENVELOPE_SECONDS * options.sampleRateHz));
  const noise = new Float32Array(samples.length);
  let envelope = 0;
  let previousWhite = 0;
  for (let n = 0; n < samples.length; n++) {
    envelope = decay * envelope + (1 - decay) * Math.abs(samples[n] ?? 0);
    const white = 2 * options.rng() - 1;
    noise[n] = (white - previousWhite) * envelope;
    previousWhite = white;
  }
  const gain = (rms(samples) / Math.max(rms(noise), Number.MIN_VALUE)) * dbToGain(options.levelDb);
  return samples.map((x, n) => x + gain * (noise[n] ?? 0));
}

/**
 * Scales to an RMS level in dB relative to full scale 1.0 (a full-scale sine is −3 dB).
 * @returns a new array (caller owns it); a silent input stays silent
 */
export function scaleToRmsDb(samples: Float32Array, rmsDb: number): Float32Array {
  const level = rms(samples);
  const gain = level > 0 ? dbToGain(rmsDb) / level : 0;
  return samples.map((x) => x * gain);
}

/** Rounds [-1, 1] floats to 16-bit PCM, clipping what lies outside as an overdriven recorder would. */
export function floatToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let n = 0; n < samples.length; n++) {
    out[n] = Math.max(-32768, Math.min(32767, Math.round(samples[n]! * 32768)));
  }
  return out;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return samples.length > 0 ? Math.sqrt(sum / samples.length) : 0;
}

function dbToGain(db: number): number {
  return 10 ** (db / 20);
}
