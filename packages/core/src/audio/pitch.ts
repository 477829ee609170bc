import { PitchDetector } from 'pitchy';
import { readFrame } from './framing.js';

export interface PitchTrackOptions {
  readonly sampleRateHz: number;
  /** Analysis window; must hold two periods of the lowest pitch. */
  readonly windowLength: number;
  readonly hopLength: number;
  readonly frameCount: number;
  readonly minHz: number;
  readonly maxHz: number;
  /** McLeod NSDF clarity (0–1) below which a frame is unvoiced. */
  readonly minClarity: number;
}

export interface PitchTrack {
  /** F0 per frame in Hz, 0 where unvoiced. */
  readonly f0Hz: Float32Array;
  /** McLeod clarity per frame (0–1), a voicing probability. */
  readonly clarity: Float32Array;
}

/**
 * Frame-wise F0 with the McLeod pitch method (pitchy), on the same hop grid as the spectral
 * frames so that index i of every track describes (nearly) the same moment.
 */
export function trackPitch(samples: Float32Array, options: PitchTrackOptions): PitchTrack {
  const { windowLength, hopLength, frameCount, sampleRateHz, minHz, maxHz, minClarity } = options;
  const detector = PitchDetector.forFloat32Array(windowLength);
  detector.minVolumeDecibels = -50;
  const frame = new Float32Array(windowLength);
  const f0Hz = new Float32Array(frameCount);
  const clarity = new Float32Array(frameCount);
  for (let i = 0; i < frameCount; i++) {
    readFrame(samples, i, hopLength, frame);
    const [pitch, frameClarity] = detector.findPitch(frame, sampleRateHz);
    clarity[i] = Number.isFinite(frameClarity) ? frameClarity : 0;
    f0Hz[i] = frameClarity >= minClarity && pitch >= minHz && pitch <= maxHz ? pitch : 0;
  }
  return { f0Hz, clarity };
}
