/** Number of whole frames of `frameLength` samples taken every `hopLength` samples (at least 1). */
export function countFrames(sampleCount: number, frameLength: number, hopLength: number): number {
  return Math.max(1, 1 + Math.floor((sampleCount - frameLength) / hopLength));
}

/** Copies frame `index` into `out` (zero-padded past the end of the signal). */
export function readFrame(samples: Float32Array, index: number, hopLength: number, out: Float32Array): Float32Array {
  const start = index * hopLength;
  const available = Math.max(0, Math.min(out.length, samples.length - start));
  out.set(samples.subarray(start, start + available));
  out.fill(0, available);
  return out;
}

/** Periodic Hann window of `length` samples (the STFT convention, as in librosa/torch). */
export function hannWindow(length: number): Float32Array {
  const window = new Float32Array(length);
  for (let i = 0; i < length; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return window;
}
