/** HTK mel scale: mel = 2595·log10(1 + f/700). */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export interface MelFilterbankOptions {
  readonly bandCount: number;
  readonly fftSize: number;
  readonly sampleRateHz: number;
  readonly minHz: number;
  readonly maxHz: number;
}

/**
 * Triangular mel filters over power-spectrum bins (HTK style, unnormalised peaks of 1), as in
 * HTK/Kaldi MFCC front ends. @returns `bandCount` rows of weights over fftSize/2+1 bins
 */
export function melFilterbank(options: MelFilterbankOptions): Float64Array[] {
  const { bandCount, fftSize, sampleRateHz, minHz, maxHz } = options;
  const binCount = fftSize / 2 + 1;
  const minMel = hzToMel(minHz);
  const maxMel = hzToMel(maxHz);
  const edgesHz = Array.from({ length: bandCount + 2 }, (_, i) =>
    melToHz(minMel + ((maxMel - minMel) * i) / (bandCount + 1)),
  );
  return Array.from({ length: bandCount }, (_, band) => {
    const [lowHz, centreHz, highHz] = [edgesHz[band]!, edgesHz[band + 1]!, edgesHz[band + 2]!];
    const weights = new Float64Array(binCount);
    for (let k = 0; k < binCount; k++) {
      const hz = (k * sampleRateHz) / fftSize;
      if (hz > lowHz && hz < highHz)
        weights[k] = hz <= centreHz ? (hz - lowHz) / (centreHz - lowHz) : (highHz - hz) / (highHz - centreHz);
    }
    return weights;
  });
}

/** Natural-log band energies of one power spectrum; floored so silence stays finite. */
export function logMelEnergies(
  power: Float64Array,
  filterbank: readonly Float64Array[],
  out: Float64Array,
): Float64Array {
  filterbank.forEach((weights, band) => {
    let energy = 0;
    for (let k = 0; k < weights.length; k++) energy += weights[k]! * power[k]!;
    out[band] = Math.log(energy + 1e-10);
  });
  return out;
}

/** Orthonormal DCT-II matrix [coefficientCount][inputCount], for MFCCs from log-mel energies. */
export function dctMatrix(coefficientCount: number, inputCount: number): Float64Array[] {
  return Array.from({ length: coefficientCount }, (_, c) => {
    const row = new Float64Array(inputCount);
    const norm = Math.sqrt((c === 0 ? 1 : 2) / inputCount);
    for (let n = 0; n < inputCount; n++) row[n] = norm * Math.cos((Math.PI * c * (n + 0.5)) / inputCount);
    return row;
  });
}
