import type { Rng } from './prng.ts';

/** Half the resampling kernel's length, in input samples (48 taps in all). */
const RESAMPLE_HALF_TAPS = 24;
/** Low-pass corner as a fraction of the output Nyquist rate, so little aliases back in. */
const RESAMPLE_CUTOFF_OF_NYQUIST = 0.9;
/** Time constant of the envelope that shapes breath noise, in seconds (about a syllable's attack). */
const BREATH_ENVELOPE_SECONDS = 0.01;

/**
 * Band-limited resampling by a rational ratio with a polyphase, Hann-windowed sinc kernel
 * (the textbook design, e.g. J. O. Smith, "Digital Audio Resampling"). Each phase's taps are
 * normalised to unit DC gain. Samples outside the input count as silence.
 * @returns a new Float32Array at `toHz` (caller owns it)
 */
export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  const divisor = gcd(fromHz, toHz);
  const up = toHz / divisor;
  const down = fromHz / divisor;
  const kernels = polyphaseKernels(up, (RESAMPLE_CUTOFF_OF_NYQUIST * toHz) / fromHz);
  // Zero padding on both sides lets the inner loop run without bounds checks.
  const padded = new Float32Array(samples.length + 2 * RESAMPLE_HALF_TAPS);
  padded.set(samples, RESAMPLE_HALF_TAPS);
  const out = new Float32Array(Math.floor((samples.length * up) / down));
  for (let n = 0; n < out.length; n++) {
    // first tap: input index floor(n·down/up) − RESAMPLE_HALF_TAPS + 1, shifted by the padding
    const firstTap = Math.floor((n * down) / up) + 1;
    const kernel = kernels[(n * down) % up]!; // the phase is < up by construction
    let sum = 0;
    for (let k = 0; k < kernel.length; k++) sum += padded[firstTap + k]! * kernel[k]!;
    out[n] = sum;
  }
  return out;
}

/** One kernel per output phase p/up; `cutoff` is relative to the input rate's Nyquist (1 = fs/2). */
function polyphaseKernels(up: number, cutoff: number): Float64Array[] {
  return Array.from({ length: up }, (_, phase) => {
    const taps = new Float64Array(2 * RESAMPLE_HALF_TAPS);
    for (let k = 0; k < taps.length; k++) {
      // distance, in input samples, from the output instant to tap k
      const distance = phase / up + RESAMPLE_HALF_TAPS - 1 - k;
      const hann = 0.5 + 0.5 * Math.cos((Math.PI * distance) / RESAMPLE_HALF_TAPS);
      taps[k] = cutoff * sinc(cutoff * distance) * hann;
    }
    const dcGain = taps.reduce((sum, tap) => sum + tap, 0);
    return taps.map((tap) => tap / dcGain);
  });
}

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

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
