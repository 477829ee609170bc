import {
  Type,
  type Static,
  type TArray,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TObject,
  type TUnion,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { DEFAULT_MOMENTS_NOISE_MULTIPLIER } from '../privacy/private-moments.js';

/**
 * Distillator settings. Defaults: α = 0.01, β = 1, γ = 0.1, n_critic = 5, a pool of 3 classifiers
 * with one retrained every 500 steps, and 2×256 MLPs — the PyTorch reference's values (issue #3).
 * Re-measured by bench:distill here (EmoDB, 5 folds, UAR at IPC 50): 73.7 4-class, 64.3 7-class;
 * without L_FM / L_SML / L_DIV 72.4 / 73.9 / 73.5 (4-class), all within the ±9 fold noise.
 */
/** The schema's shape, spelled out because exported values declare their types (isolatedDeclarations). */
export type DistillConfigProperties = {
  steps: TInteger;
  batchSize: TInteger;
  criticSteps: TInteger;
  noiseDimension: TInteger;
  hiddenUnits: TArray<TInteger>;
  generatorLearningRate: TNumber;
  criticLearningRate: TNumber;
  gradientPenaltyWeight: TNumber;
  featureMatchingWeight: TNumber;
  softmaxMatchingWeight: TNumber;
  diversityWeight: TNumber;
  poolMatchingWeight: TNumber;
  speakerInvarianceWeight: TNumber;
  batchSampling: TUnion<[TLiteral<'balanced'>, TLiteral<'poisson'>]>;
  dpClipNorm: TNumber;
  dpNoiseMultiplier: TNumber;
  dpFeatureClipNorm: TNumber;
  dpStandardiserNoiseMultiplier: TNumber;
  dpDelta: TNumber;
  poolSize: TInteger;
  poolRefreshSteps: TInteger;
  poolEpochs: TInteger;
  poolMaxSteps: TInteger;
  emaDecay: TNumber;
  labelerHiddenUnits: TArray<TInteger>;
  seed: TInteger;
};

export const DistillConfigSchema: TObject<DistillConfigProperties> = Type.Object(
  {
    /** Generator updates. */
    steps: Type.Integer({ minimum: 1, default: 2000 }),
    batchSize: Type.Integer({ minimum: 2, default: 64 }),
    /** Critic updates per generator update (n_critic). */
    criticSteps: Type.Integer({ minimum: 1, default: 5 }),
    noiseDimension: Type.Integer({ minimum: 1, default: 64 }),
    hiddenUnits: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, default: [256, 256] }),
    generatorLearningRate: Type.Number({ exclusiveMinimum: 0, default: 1e-4 }),
    criticLearningRate: Type.Number({ exclusiveMinimum: 0, default: 1e-4 }),
    /** λ_GP */
    gradientPenaltyWeight: Type.Number({ minimum: 0, default: 10 }),
    /** α, weight of L_FM */
    featureMatchingWeight: Type.Number({ minimum: 0, default: 0.01 }),
    /** β, weight of L_SML */
    softmaxMatchingWeight: Type.Number({ minimum: 0, default: 1 }),
    /** γ, weight of L_DIV */
    diversityWeight: Type.Number({ minimum: 0, default: 0.1 }),
    /**
     * δ, weight of L_DM: class-conditional distribution (mean) matching in the hidden layer of each
     * pool classifier, beside L_FM's in the critic's; 0 = off.
     */
    poolMatchingWeight: Type.Number({ minimum: 0, default: 0 }),
    /**
     * ζ, weight of L_SPK: a speaker probe trained on the real rows' speakers should not be able to
     * tell which member a synthetic sample resembles (losses/speaker-invariance.ts); 0 = off.
     */
    speakerInvarianceWeight: Type.Number({ minimum: 0, default: 0 }),
    /**
     * How the critic's real minibatches are drawn: `balanced` (a uniform class, then a uniform row
     * of it) or `poisson` (each row independently with probability batchSize / rows, so batches
     * vary in size), which DP-SGD's accountant assumes.
     */
    batchSampling: Type.Union([Type.Literal('balanced'), Type.Literal('poisson')], { default: 'balanced' }),
    /**
     * DP-SGD on the critic: each example's whole gradient contribution is clipped to this L2 norm
     * (and Gaussian noise of std dpNoiseMultiplier × dpClipNorm is added to the clipped sum); 0 = no
     * differential privacy. Needs batchSampling 'poisson' and every term that reads real rows
     * outside the critic off (α unless dpFeatureClipNorm > 0, β, δ, ζ = 0, no labeler).
     */
    dpClipNorm: Type.Number({ minimum: 0, default: 0 }),
    /** σ: the noise std over the clip norm. */
    dpNoiseMultiplier: Type.Number({ minimum: 0, default: 0 }),
    /**
     * L_FM under DP-SGD: its real side becomes per-class means of the critic's features released by
     * the Gaussian mechanism (each row's features clipped to this L2 norm, σ as the critic's; one
     * more private step per generator step, which the accountant counts); 0 = L_FM stays off under DP.
     */
    dpFeatureClipNorm: Type.Number({ minimum: 0, default: 0 }),
    /**
     * Under DP-SGD, σ of the private standardiser (privacy/private-moments.ts: three Gaussian
     * releases, ε ≈ 1.58 at δ = 1e-5 by itself at the default 7, composed with the training's); it
     * needs about 30 · σ · √dimension rows. 0 = fitted exactly, and then not covered by the guarantee.
     */
    dpStandardiserNoiseMultiplier: Type.Number({ minimum: 0, default: DEFAULT_MOMENTS_NOISE_MULTIPLIER }),
    /** δ of the (ε, δ) guarantee the accountant reports. */
    dpDelta: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 1e-5 }),
    poolSize: Type.Integer({ minimum: 1, default: 3 }),
    /** Retrain one pool member (round robin) every this many generator steps. */
    poolRefreshSteps: Type.Integer({ minimum: 1, default: 500 }),
    poolEpochs: Type.Integer({ minimum: 1, default: 30 }),
    /**
     * At most this many minibatch steps per member training (epochs end early on a large set), so a
     * refresh costs the same on 6,000 rows as on 600 and the step rate does not fall with the
     * corpus. 600 leaves EmoDB's training (≤ 535 rows: 30 epochs ≤ 510 steps) as it was.
     */
    poolMaxSteps: Type.Integer({ minimum: 1, default: 600 }),
    /**
     * Decay of the exponential moving average of the generator's weights, which is then what the
     * distillation releases (with the warm-up of distill/weight-average.ts); 0: no average, the last weights.
     */
    emaDecay: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0 }),
    /**
     * Hidden layers of the labeler: an emotion classifier trained on the real (standardised)
     * rows and released in the bundle, for soft labels and oversample-and-select at sampling
     * time (the classifier pool never leaves the training). Empty: no labeler.
     */
    labelerHiddenUnits: Type.Array(Type.Integer({ minimum: 1 }), { default: [] }),
    seed: Type.Integer({ default: 0 }),
  },
  { additionalProperties: false },
);

/** Resolved distillator settings (see the schema above for units and defaults). */
export type DistillConfig = Readonly<Static<typeof DistillConfigSchema>>;
export type DistillOptions = Partial<DistillConfig>;

/** Fills defaults and validates; errors name the field. */
export function resolveDistillConfig(options: DistillOptions = {}): DistillConfig {
  const filled = Value.Default(DistillConfigSchema, structuredClone(options)) as unknown;
  if (!Value.Check(DistillConfigSchema, filled)) {
    const first = Value.Errors(DistillConfigSchema, filled).First();
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `distill option ${first?.path.slice(1) || '?'}: ${first?.message ?? 'invalid'} (got ${JSON.stringify(first?.value)})`,
    );
  }
  const outsideBoundary = filled.dpClipNorm > 0 ? termsReadingRealRowsOutsideTheCritic(filled) : [];
  if (filled.dpFeatureClipNorm > 0 && !(filled.dpClipNorm > 0 && filled.featureMatchingWeight > 0))
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `distill option dpFeatureClipNorm: private feature matching needs DP-SGD (dpClipNorm > 0, got ${filled.dpClipNorm}) and feature matching on (featureMatchingWeight > 0, got ${filled.featureMatchingWeight})`,
    );
  if (outsideBoundary.length > 0 || (filled.dpClipNorm > 0 && filled.batchSampling !== 'poisson'))
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `distill option dpClipNorm: differential privacy covers the critic's updates only, so ${[
        ...(filled.batchSampling !== 'poisson' ? ['batchSampling must be "poisson" (the accountant assumes it)'] : []),
        ...outsideBoundary.map((term) => `${term} must be off`),
      ].join(', ')} (they read real rows outside the clipped, noised critic)`,
    );
  return filled;
}

/** Settings whose terms read real rows outside the critic's updates (nothing private bounds them). */
function termsReadingRealRowsOutsideTheCritic(config: DistillConfig): string[] {
  return [
    ...(['featureMatchingWeight', 'softmaxMatchingWeight', 'poolMatchingWeight', 'speakerInvarianceWeight'] as const)
      // L_FM is inside the boundary when its real class means are released privately.
      .filter((name) => config[name] > 0 && !(name === 'featureMatchingWeight' && config.dpFeatureClipNorm > 0))
      .map((name) => `${name} (${config[name]})`),
    ...(config.labelerHiddenUnits.length > 0 ? ['labelerHiddenUnits'] : []),
  ];
}
