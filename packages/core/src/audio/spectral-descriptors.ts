/** Spectral shape descriptors of one power spectrum (eGeMAPS-style). */
export interface SpectralDescriptors {
  centroidHz: number;
  rolloff85Hz: number;
  flatness: number;
  /** dB ratio of energy in 50–1000 Hz to 1–5 kHz (eGeMAPS alpha ratio, sign as there: low over high). */
  alphaRatioDb: number;
  /** dB ratio of the strongest peak in 0–2 kHz to the strongest in 2–5 kHz. */
  hammarbergDb: number;
  /** Slope of the log power spectrum over 0–5 kHz, dB per kHz. */
  slopeDbPerKhz: number;
}

const EPSILON = 1e-12;

function bandRange(binHz: number, lowHz: number, highHz: number, binCount: number): [number, number] {
  return [Math.max(0, Math.ceil(lowHz / binHz)), Math.min(binCount - 1, Math.floor(highHz / binHz))];
}

/** @param power |X(k)|² for k = 0..fftSize/2, `binHz` apart */
export function describeSpectrum(power: Float64Array, binHz: number): SpectralDescriptors {
  const binCount = power.length;
  let total = 0;
  let weighted = 0;
  let logSum = 0;
  for (let k = 0; k < binCount; k++) {
    total += power[k]!;
    weighted += power[k]! * k * binHz;
    logSum += Math.log(power[k]! + EPSILON);
  }
  let cumulative = 0;
  let rolloffBin = binCount - 1;
  for (let k = 0; k < binCount; k++) {
    cumulative += power[k]!;
    if (cumulative >= 0.85 * total) {
      rolloffBin = k;
      break;
    }
  }
  const sumIn = ([from, to]: [number, number]): number => {
    let sum = 0;
    for (let k = from; k <= to; k++) sum += power[k]!;
    return sum;
  };
  const maxIn = ([from, to]: [number, number]): number => {
    let max = 0;
    for (let k = from; k <= to; k++) max = Math.max(max, power[k]!);
    return max;
  };
  const db = (ratio: number): number => 10 * Math.log10(ratio);
  const [slopeFrom, slopeTo] = bandRange(binHz, 0, 5000, binCount);
  // Least-squares slope of dB over kHz.
  let n = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let k = slopeFrom; k <= slopeTo; k++) {
    const x = (k * binHz) / 1000;
    const y = 10 * Math.log10(power[k]! + EPSILON);
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return {
    centroidHz: total > EPSILON ? weighted / total : 0,
    rolloff85Hz: rolloffBin * binHz,
    flatness: total > EPSILON ? Math.exp(logSum / binCount) / (total / binCount) : 0,
    alphaRatioDb: db(
      (sumIn(bandRange(binHz, 50, 1000, binCount)) + EPSILON) /
        (sumIn(bandRange(binHz, 1000, 5000, binCount)) + EPSILON),
    ),
    hammarbergDb: db(
      (maxIn(bandRange(binHz, 0, 2000, binCount)) + EPSILON) /
        (maxIn(bandRange(binHz, 2000, 5000, binCount)) + EPSILON),
    ),
    slopeDbPerKhz: (n * sxy - sx * sy) / (n * sxx - sx * sx),
  };
}

/** Spectral flux: Euclidean distance between consecutive sum-normalised power spectra. */
export function spectralFlux(previous: Float64Array, current: Float64Array): number {
  let previousTotal = EPSILON;
  let currentTotal = EPSILON;
  for (let k = 0; k < current.length; k++) {
    previousTotal += previous[k]!;
    currentTotal += current[k]!;
  }
  let sum = 0;
  for (let k = 0; k < current.length; k++) {
    const d = current[k]! / currentTotal - previous[k]! / previousTotal;
    sum += d * d;
  }
  return Math.sqrt(sum);
}
