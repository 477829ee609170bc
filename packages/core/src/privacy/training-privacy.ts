import {
  Type,
  type Static,
  type TArray,
  type TNumber,
  type TObject,
  type TOptional,
  type TString,
} from '@sinclair/typebox';
import type { FeatureSet } from '../formats/feature-set.js';
import type { DistillConfig } from '../generator/distill-config.js';
import { composeCurves, epsilonFromRdp, groupPrivacy, rdpCurve, RDP_ORDERS } from './rdp-accountant.js';
import { privateMomentsMechanism } from './private-moments.js';

/** The (ε, δ) of a DP-SGD distillation as a bundle's provenance records it (validated on read). */
export const TrainingPrivacySchema: TObject<{
  accountant: TString;
  delta: TNumber;
  epsilonUtterance: TNumber;
  epsilonSpeaker: TNumber;
  speakerDelta: TNumber;
  samplingRate: TNumber;
  noiseMultiplier: TNumber;
  clipNorm: TNumber;
  privateSteps: TNumber;
  standardiserNoiseMultiplier: TOptional<TNumber>;
  notCovered: TArray<TString>;
}> = Type.Object(
  {
    /** How ε was computed, e.g. "rdp-subsampled-gaussian/classic". */
    accountant: Type.String({ maxLength: 128 }),
    delta: Type.Number({ minimum: 0, maximum: 1 }),
    epsilonUtterance: Type.Number({ minimum: 0 }),
    /** By group privacy over the most utterances any speaker has: large by nature, stated as such. */
    epsilonSpeaker: Type.Number({ minimum: 0 }),
    speakerDelta: Type.Number({ minimum: 0, maximum: 1 }),
    samplingRate: Type.Number({ minimum: 0, maximum: 1 }),
    noiseMultiplier: Type.Number({ minimum: 0 }),
    clipNorm: Type.Number({ minimum: 0 }),
    /** Releases that read real rows: critic updates, and private L_FM's class means when on. */
    privateSteps: Type.Number({ minimum: 0 }),
    /** What the bundle releases that the guarantee does not cover, by name. */
    /** σ of the private standardiser, whose three releases the ε above includes; absent when fitted exactly. */
    standardiserNoiseMultiplier: Type.Optional(Type.Number({ minimum: 0 })),
    notCovered: Type.Array(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type TrainingPrivacy = Static<typeof TrainingPrivacySchema>;

/**
 * Private steps of `generatorSteps` DP-SGD generator steps: every critic update reads real rows,
 * and so does each generator step's private L_FM (its class means), at the same rate and σ.
 */
export function privateStepCount(config: DistillConfig, generatorSteps: number): number {
  const featureMatching = config.dpFeatureClipNorm > 0 && config.featureMatchingWeight > 0 ? 1 : 0;
  return generatorSteps * (config.criticSteps + featureMatching);
}

/**
 * The accountant's figures for `privateSteps` private steps on `set` under `config`'s DP-SGD,
 * composed with the private standardiser's releases when it is private: Poisson sampling at
 * batchSize / rows, the classic RDP conversion, and group privacy over the largest speaker for the
 * speaker-level figure.
 */
export function accountTrainingPrivacy(set: FeatureSet, config: DistillConfig, privateSteps: number): TrainingPrivacy {
  const samplingRate = Math.min(1, config.batchSize / set.ids.length);
  const curve = composeCurves([
    rdpCurve({ samplingRate, noiseMultiplier: config.dpNoiseMultiplier, steps: privateSteps }),
    standardiserCurve(config),
  ]);
  const spend = epsilonFromRdp(curve, config.dpDelta, 'classic');
  const perSpeaker = new Map<string, number>();
  for (const speaker of set.speakers) perSpeaker.set(speaker, (perSpeaker.get(speaker) ?? 0) + 1);
  const speaker = groupPrivacy(spend, Math.max(1, ...perSpeaker.values()));
  const standardiserPrivate = config.dpStandardiserNoiseMultiplier > 0;
  return {
    accountant: `rdp-subsampled-gaussian/${spend.conversion}`,
    delta: spend.delta,
    epsilonUtterance: spend.epsilon,
    epsilonSpeaker: speaker.epsilon,
    speakerDelta: speaker.delta,
    samplingRate,
    noiseMultiplier: config.dpNoiseMultiplier,
    clipNorm: config.dpClipNorm,
    privateSteps,
    ...(standardiserPrivate && { standardiserNoiseMultiplier: config.dpStandardiserNoiseMultiplier }),
    // An exactly fitted standardiser (each dimension's mean and std over the site's rows) is outside the guarantee.
    notCovered: standardiserPrivate ? [] : ['standardiser'],
  };
}

/** The RDP curve of the private standardiser `config` asks for (all zeros when it is fitted exactly). */
export function standardiserCurve(config: DistillConfig): number[] {
  return config.dpStandardiserNoiseMultiplier > 0
    ? rdpCurve(privateMomentsMechanism(config.dpStandardiserNoiseMultiplier))
    : RDP_ORDERS.map(() => 0);
}
