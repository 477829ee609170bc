import { countFrames, hannWindow, readFrame } from '../audio/framing.js';
import { dctMatrix, logMelEnergies, melFilterbank } from '../audio/mel.js';
import { trackPitch } from '../audio/pitch.js';
import { PowerSpectrum } from '../audio/power-spectrum.js';
import { describeSpectrum, spectralFlux, type SpectralDescriptors } from '../audio/spectral-descriptors.js';
import type { FeatureExtractor, FeatureSpec } from './feature-spec.js';
import { FUNCTIONAL_NAMES, summarise, summariseDelta } from './functionals.js';

/** Parameters of the default extractor; units in the names. */
export const PROSODIC_FUNCTIONALS_PARAMS = {
  sampleRateHz: 16000,
  frameMs: 25,
  hopMs: 10,
  fftSize: 512,
  melBands: 26,
  mfccCount: 12,
  melMinHz: 20,
  melMaxHz: 8000,
  preEmphasis: 0.97,
  pitchWindowMs: 40,
  pitchMinHz: 55,
  pitchMaxHz: 600,
  pitchMinClarity: 0.85,
  /** Frames quieter than the utterance's loudest by more than this are silence. */
  activityRangeDb: 35,
  /** Frames below this level (dBFS) are silence whatever the utterance's loudest frame. */
  activityFloorDb: -65,
  /** A loudness peak must be the maximum within ± this many frames (syllable-nucleus proxy). */
  peakHalfWidthFrames: 8,
} as const;

const SPECTRAL_KEYS = [
  'centroidHz',
  'rolloff85Hz',
  'flatness',
  'alphaRatioDb',
  'hammarbergDb',
  'slopeDbPerKhz',
] as const satisfies readonly (keyof SpectralDescriptors)[];

const P = PROSODIC_FUNCTIONALS_PARAMS;
const MFCC_NAMES = Array.from({ length: P.mfccCount }, (_, i) => `mfcc${i + 1}`);
/** Frame tracks summarised by every functional, over active (non-silent) frames; f0 over voiced frames. */
const SUMMARISED_TRACKS = [
  'loudnessDb',
  'f0Semitones',
  'voicingClarity',
  ...MFCC_NAMES,
  'spectralFlux',
  'zeroCrossingRate',
  ...SPECTRAL_KEYS,
];
/** Tracks whose frame-to-frame change is summarised by mean |Δ| and std Δ. */
const DELTA_TRACKS = ['loudnessDb', 'f0Semitones', ...MFCC_NAMES];
const TEMPORAL_NAMES = [
  'voicedRatio',
  'voicedSegmentMeanSec',
  'unvoicedSegmentMeanSec',
  'loudnessPeaksPerSec',
  'activeDurationSec',
  'voicedLoudnessMeanAbsDeltaDb',
];

function dimensionNames(): string[] {
  return [
    ...SUMMARISED_TRACKS.flatMap((track) => FUNCTIONAL_NAMES.map((functional) => `${track}_${functional}`)),
    ...DELTA_TRACKS.flatMap((track) => [`${track}_delta_meanAbs`, `${track}_delta_std`]),
    ...Array.from({ length: P.melBands }, (_, band) => [`logMel${band}_mean`, `logMel${band}_std`]).flat(),
    ...TEMPORAL_NAMES,
  ];
}

/** Semitones above 27.5 Hz (A0), the eGeMAPS F0 scale. */
function hzToSemitones(hz: number): number {
  return 12 * Math.log2(hz / 27.5);
}

/** Lengths of runs of `true` in `flags`, in frames. */
function runLengths(flags: readonly boolean[], value: boolean): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const flag of flags) {
    if (flag === value) run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  if (run > 0) runs.push(run);
  return runs;
}

const mean = (values: readonly number[]): number =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;

/** Frame-level tracks of one utterance. */
interface FrameTracks {
  readonly frameCount: number;
  readonly tracks: Map<string, Float64Array>;
  readonly logMel: Float64Array[];
  readonly active: boolean[];
  readonly voiced: boolean[];
}

function computeFrameTracks(
  samples: Float32Array,
  spectrum: PowerSpectrum,
  filterbank: Float64Array[],
  dct: Float64Array[],
): FrameTracks {
  const frameLength = Math.round((P.frameMs / 1000) * P.sampleRateHz);
  const hopLength = Math.round((P.hopMs / 1000) * P.sampleRateHz);
  const frameCount = countFrames(samples.length, frameLength, hopLength);
  const window = hannWindow(frameLength);
  const binHz = P.sampleRateHz / P.fftSize;

  const emphasised = new Float32Array(samples.length);
  for (let i = samples.length - 1; i > 0; i--) emphasised[i] = samples[i]! - P.preEmphasis * samples[i - 1]!;
  emphasised[0] = samples[0] ?? 0;

  const tracks = new Map<string, Float64Array>(SUMMARISED_TRACKS.map((name) => [name, new Float64Array(frameCount)]));
  const track = (name: string): Float64Array => tracks.get(name)!;
  const logMel = Array.from({ length: frameCount }, () => new Float64Array(P.melBands));
  const frame = new Float32Array(frameLength);
  let power = new Float64Array(spectrum.binCount);
  let previousPower = new Float64Array(spectrum.binCount);

  for (let t = 0; t < frameCount; t++) {
    readFrame(samples, t, hopLength, frame);
    let energy = 0;
    let crossings = 0;
    for (let i = 0; i < frameLength; i++) {
      energy += frame[i]! * frame[i]!;
      if (i > 0 && frame[i]! >= 0 !== frame[i - 1]! >= 0) crossings++;
    }
    track('loudnessDb')[t] = 10 * Math.log10(energy / frameLength + 1e-10);
    track('zeroCrossingRate')[t] = crossings / frameLength;

    spectrum.compute(readFrame(emphasised, t, hopLength, frame), window, power);
    logMelEnergies(power, filterbank, logMel[t]!);
    for (let c = 1; c <= P.mfccCount; c++) {
      let coefficient = 0;
      for (let band = 0; band < P.melBands; band++) coefficient += dct[c]![band]! * logMel[t]![band]!;
      track(`mfcc${c}`)[t] = coefficient;
    }
    const descriptors = describeSpectrum(power, binHz);
    for (const key of SPECTRAL_KEYS) track(key)[t] = descriptors[key];
    track('spectralFlux')[t] = t === 0 ? 0 : spectralFlux(previousPower, power);
    [previousPower, power] = [power, previousPower];
  }

  const pitch = trackPitch(samples, {
    sampleRateHz: P.sampleRateHz,
    windowLength: Math.round((P.pitchWindowMs / 1000) * P.sampleRateHz),
    hopLength,
    frameCount,
    minHz: P.pitchMinHz,
    maxHz: P.pitchMaxHz,
    minClarity: P.pitchMinClarity,
  });
  const loudness = track('loudnessDb');
  const loudest = loudness.reduce((a, b) => Math.max(a, b), -Infinity);
  const active = Array.from(loudness, (db) => db >= Math.max(loudest - P.activityRangeDb, P.activityFloorDb));
  const voiced = Array.from(pitch.f0Hz, (hz, t) => hz > 0 && active[t]!);
  for (let t = 0; t < frameCount; t++) {
    track('voicingClarity')[t] = pitch.clarity[t]!;
    track('f0Semitones')[t] = voiced[t] ? hzToSemitones(pitch.f0Hz[t]!) : 0;
  }
  return { frameCount, tracks, logMel, active, voiced };
}

function selectFrames(values: Float64Array, mask: readonly boolean[]): Float64Array {
  return values.filter((_, t) => mask[t]);
}

/** Differences between consecutive frames that are both in `mask`. */
function maskedDeltas(values: Float64Array, mask: readonly boolean[]): number[] {
  const deltas: number[] = [];
  for (let t = 1; t < values.length; t++) if (mask[t] && mask[t - 1]) deltas.push(values[t]! - values[t - 1]!);
  return deltas;
}

function countLoudnessPeaks(loudness: Float64Array, active: readonly boolean[]): number {
  const activeLoudness = selectFrames(loudness, active);
  const median = Float64Array.from(activeLoudness).sort()[Math.floor(activeLoudness.length / 2)] ?? 0;
  let peaks = 0;
  for (let t = 0; t < loudness.length; t++) {
    if (!active[t] || loudness[t]! < median) continue;
    let isPeak = true;
    for (
      let u = Math.max(0, t - P.peakHalfWidthFrames);
      u <= Math.min(loudness.length - 1, t + P.peakHalfWidthFrames) && isPeak;
      u++
    ) {
      if (loudness[u]! > loudness[t]! || (loudness[u] === loudness[t] && u < t)) isPeak = false;
    }
    if (isPeak) peaks++;
  }
  return peaks;
}

function summariseUtterance(frames: FrameTracks): Float32Array {
  const { tracks, logMel, active, voiced, frameCount } = frames;
  const hopSec = P.hopMs / 1000;
  const times = Float64Array.from({ length: frameCount }, (_, t) => t * hopSec);
  const values: number[] = [];
  for (const name of SUMMARISED_TRACKS) {
    const mask = name === 'f0Semitones' ? voiced : active;
    values.push(...summarise(selectFrames(tracks.get(name)!, mask), selectFrames(times, mask)));
  }
  for (const name of DELTA_TRACKS) {
    values.push(...summariseDelta(maskedDeltas(tracks.get(name)!, name === 'f0Semitones' ? voiced : active)));
  }
  const activeMel = logMel.filter((_, t) => active[t]);
  for (let band = 0; band < P.melBands; band++) {
    const [bandMean, bandStd] = summarise(
      activeMel.map((bands) => bands[band]!),
      activeMel.map((_, i) => i),
    );
    values.push(bandMean!, bandStd!);
  }
  const activeCount = active.filter(Boolean).length;
  const firstActive = active.indexOf(true);
  const lastActive = active.lastIndexOf(true);
  const speechSpan = active.slice(firstActive, lastActive + 1).map((_, i) => voiced[firstActive + i]!);
  values.push(
    voiced.filter(Boolean).length / Math.max(1, activeCount),
    mean(runLengths(speechSpan, true)) * hopSec,
    mean(runLengths(speechSpan, false)) * hopSec,
    countLoudnessPeaks(tracks.get('loudnessDb')!, active) / Math.max(hopSec, activeCount * hopSec),
    activeCount * hopSec,
    summariseDelta(maskedDeltas(tracks.get('loudnessDb')!, voiced))[0],
  );
  return Float32Array.from(values);
}

/**
 * The default extractor: eGeMAPS-like utterance functionals (mean, std, percentiles, slope) of
 * loudness, F0, voicing, MFCC 1–12, spectral shape and log-mel bands, plus their frame-to-frame
 * dynamics and rhythm/voicing statistics. Deterministic: plain float64 arithmetic, no randomness.
 */
export function createProsodicFunctionalsExtractor(): FeatureExtractor {
  const spectrum = new PowerSpectrum(P.fftSize);
  const filterbank = melFilterbank({
    bandCount: P.melBands,
    fftSize: P.fftSize,
    sampleRateHz: P.sampleRateHz,
    minHz: P.melMinHz,
    maxHz: P.melMaxHz,
  });
  const dct = dctMatrix(P.mfccCount + 1, P.melBands);
  const spec: FeatureSpec = {
    name: 'prosodic-functionals',
    version: '1',
    params: { ...P },
    dimensionNames: dimensionNames(),
  };
  return {
    spec,
    sampleRateHz: P.sampleRateHz,
    extract: (samples) => summariseUtterance(computeFrameTracks(samples, spectrum, filterbank, dct)),
  };
}
