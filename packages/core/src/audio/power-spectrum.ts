import FFT from 'fft.js';

/**
 * Power spectrum |X(k)|² of windowed frames, bins 0..fftSize/2, with reusable buffers
 * (one instance per extractor; not shared across concurrent calls).
 */
export class PowerSpectrum {
  readonly fftSize: number;
  readonly binCount: number;
  private readonly fft: FFT;
  private readonly padded: Float64Array;
  private readonly complex: number[];

  constructor(fftSize: number) {
    this.fftSize = fftSize;
    this.binCount = fftSize / 2 + 1;
    this.fft = new FFT(fftSize);
    this.padded = new Float64Array(fftSize);
    this.complex = this.fft.createComplexArray() as number[];
  }

  /** Writes the power spectrum of `frame` × `window` (zero-padded to fftSize) into `out` [binCount]. */
  compute(frame: Float32Array, window: Float32Array, out: Float64Array): Float64Array {
    this.padded.fill(0);
    for (let i = 0; i < frame.length; i++) this.padded[i] = frame[i]! * window[i]!;
    this.fft.realTransform(this.complex, this.padded);
    for (let k = 0; k < this.binCount; k++) {
      const re = this.complex[2 * k]!;
      const im = this.complex[2 * k + 1]!;
      out[k] = re * re + im * im;
    }
    return out;
  }
}
