import { EmodistillError, ERROR_CODES } from '../errors.js';
import { epsilonFromRdp, noiseMultiplierFor } from '../privacy/rdp-accountant.js';
import { privateMomentsMechanism } from '../privacy/private-moments.js';
import { privateStepCount, standardiserCurve } from '../privacy/training-privacy.js';
import { resolveDistillConfig, type DistillConfig, type DistillOptions } from './distill-config.js';

/** DP-SGD as a user asks for it: a noise multiplier, or a target ε the accountant finds one for. */
export interface PrivateTrainingOptions {
  /** σ; give this or `epsilon`. */
  readonly noiseMultiplier?: number;
  /** Target ε per utterance at `delta` over the whole distillation. */
  readonly epsilon?: number;
  /** Per-example clip norm C (default 1). */
  readonly clipNorm?: number;
  /** Default 1e-5. */
  readonly delta?: number;
  /**
   * Keep L_FM, its real class means released privately with each row's critic features clipped
   * to this norm (one more private step per generator step); absent or 0: L_FM off.
   */
  readonly featureClipNorm?: number;
  /**
   * σ of the private standardiser; 0: fitted exactly, not covered. Default: the config's (7), or
   * with a target ε more if needed for the standardiser to cost at most a quarter of it.
   */
  readonly standardiserNoiseMultiplier?: number;
}

/** The settings whose terms read real rows outside the critic, which DP-SGD turns off (L_FM unless made private). */
const OUTSIDE_THE_CRITIC = [
  'featureMatchingWeight',
  'softmaxMatchingWeight',
  'poolMatchingWeight',
  'speakerInvarianceWeight',
] as const;

/**
 * `options` made differentially private: Poisson batches, per-example clipping and noise on the
 * critic, and every term that reads real rows outside it turned off (named in `turnedOff`, so the
 * caller can say so). With a target ε, σ is the smallest that keeps the distillation's critic
 * updates on `trainingRows` rows within it.
 */
export function withDifferentialPrivacy(
  options: DistillOptions,
  privacy: PrivateTrainingOptions,
  trainingRows: number,
): { options: DistillOptions; turnedOff: string[] } {
  if ((privacy.noiseMultiplier === undefined) === (privacy.epsilon === undefined))
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      'differential privacy needs exactly one of a noise multiplier (--dp-noise) and a target ε (--dp-epsilon)',
    );
  const config = resolveDistillConfig(options);
  const delta = privacy.delta ?? 1e-5;
  const featureClipNorm = config.featureMatchingWeight > 0 ? (privacy.featureClipNorm ?? 0) : 0;
  const turnedOffTerms = OUTSIDE_THE_CRITIC.filter(
    (name) => config[name] > 0 && !(name === 'featureMatchingWeight' && featureClipNorm > 0),
  );
  const turnedOff = [...turnedOffTerms, ...(config.labelerHiddenUnits.length > 0 ? ['labelerHiddenUnits'] : [])];
  const privateConfig = {
    ...config,
    dpFeatureClipNorm: featureClipNorm,
    dpStandardiserNoiseMultiplier:
      privacy.standardiserNoiseMultiplier ??
      (privacy.epsilon !== undefined && config.dpStandardiserNoiseMultiplier > 0
        ? Math.max(config.dpStandardiserNoiseMultiplier, standardiserNoiseFor(privacy.epsilon / 4, delta))
        : config.dpStandardiserNoiseMultiplier),
  };
  const noiseMultiplier =
    privacy.noiseMultiplier ?? trainingNoiseFor(privateConfig, trainingRows, { epsilon: privacy.epsilon!, delta });
  return {
    options: {
      ...options,
      ...Object.fromEntries(turnedOffTerms.map((name) => [name, 0])),
      labelerHiddenUnits: [],
      batchSampling: 'poisson',
      dpClipNorm: privacy.clipNorm ?? 1,
      dpNoiseMultiplier: noiseMultiplier,
      dpFeatureClipNorm: featureClipNorm,
      dpStandardiserNoiseMultiplier: privateConfig.dpStandardiserNoiseMultiplier,
      dpDelta: delta,
    },
    turnedOff,
  };
}

/** σ of the private standardiser whose releases alone cost `epsilon` at `delta`. */
function standardiserNoiseFor(epsilon: number, delta: number): number {
  const { steps } = privateMomentsMechanism();
  return noiseMultiplierFor({ samplingRate: 1, steps }, { epsilon, delta });
}

/** The training's σ that keeps it, composed with the private standardiser, within `target`. */
function trainingNoiseFor(
  config: DistillConfig,
  trainingRows: number,
  target: { epsilon: number; delta: number },
): number {
  try {
    return noiseMultiplierFor(
      { samplingRate: Math.min(1, config.batchSize / trainingRows), steps: privateStepCount(config, config.steps) },
      target,
      'classic',
      standardiserCurve(config),
    );
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const sigma = config.dpStandardiserNoiseMultiplier;
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `differential privacy: ε = ${target.epsilon} at δ = ${target.delta} cannot be reached${
        sigma > 0
          ? `: the private standardiser at σ ${sigma} alone costs ε = ${epsilonFromRdp(standardiserCurve(config), target.delta).epsilon.toFixed(2)}; raise its noise (--dp-standardiser-noise ${standardiserNoiseFor(target.epsilon / 4, target.delta).toFixed(0)} costs a quarter of the target) or leave it to the default`
          : ''
      }`,
      { cause: error },
    );
  }
}
