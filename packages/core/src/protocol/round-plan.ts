import {
  Type,
  type Static,
  type TInteger,
  type TLiteral,
  type TObject,
  type TOptional,
  type TUnion,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DistillConfigSchema, type DistillConfigProperties, type DistillOptions } from '../generator/distill-config.js';
import { DISTILL_METHODS, methodPreset, type DistillMethod } from '../generator/distill-methods.js';

/**
 * The round plan: what a coordinator asks every site to do in a training round, signed into the
 * round's announcement. One schema for the coordinator's config, the announcement and the site.
 * A field may be added in a new plan version; a site refuses a version it does not know.
 */
export const ROUND_PLAN_VERSION = 1 as const;

/**
 * Distill options a federation sets for every site. Not among them: the architecture (the global
 * bundle fixes it), the number of steps (`localSteps` per round) and the weight average (a site's
 * update is its trained weights; averaging across sites is the strategy's job); `seed` is the base
 * each site's own seed is derived from.
 */
type RoundDistillProperties = {
  [
    K in Exclude<
      keyof DistillConfigProperties,
      'steps' | 'noiseDimension' | 'hiddenUnits' | 'labelerHiddenUnits' | 'emaDecay'
    >
  ]: TOptional<DistillConfigProperties[K]>;
};
export const RoundDistillSchema: TObject<RoundDistillProperties> = Type.Partial(
  Type.Omit(DistillConfigSchema, ['steps', 'noiseDimension', 'hiddenUnits', 'labelerHiddenUnits', 'emaDecay'], {
    additionalProperties: false,
  }),
  { additionalProperties: false },
);
export type RoundDistillOptions = Static<typeof RoundDistillSchema>;

/** A federation's per-round training settings, as its coordinator config states them. */
export const RoundSettingsSchema: TObject<{
  method: TUnion<TLiteral<DistillMethod>[]>;
  localSteps: TInteger;
  distill: TObject<RoundDistillProperties>;
}> = Type.Object(
  {
    /** The distillation method (generator/distill-methods.ts); `distill` overrides its settings. */
    method: Type.Union(
      DISTILL_METHODS.map((method) => Type.Literal(method)),
      { default: 'default' },
    ),
    /** Generator steps each site trains per round. */
    localSteps: Type.Integer({ minimum: 1, default: 200 }),
    distill: Type.Object(RoundDistillSchema.properties, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false },
);
export type RoundSettings = Static<typeof RoundSettingsSchema>;

export const RoundPlanSchema: TObject<{
  planVersion: TLiteral<typeof ROUND_PLAN_VERSION>;
  localSteps: TInteger;
  stepOffset: TInteger;
  distill: TObject<RoundDistillProperties>;
}> = Type.Object(
  {
    planVersion: Type.Literal(ROUND_PLAN_VERSION),
    localSteps: RoundSettingsSchema.properties.localSteps,
    /** Steps the federation trained before this round: a site's step counter continues from here. */
    stepOffset: Type.Integer({ minimum: 0 }),
    distill: RoundSettingsSchema.properties.distill,
  },
  { additionalProperties: false },
);
export type RoundPlan = Static<typeof RoundPlanSchema>;

/** The plan of a training round after `trainingRoundsDone` earlier ones. */
export function planRound(settings: RoundSettings, trainingRoundsDone: number): RoundPlan {
  return {
    planVersion: ROUND_PLAN_VERSION,
    localSteps: settings.localSteps,
    stepOffset: trainingRoundsDone * settings.localSteps,
    distill: { ...roundDistillOf(methodPreset(settings.method).distill), ...settings.distill },
  };
}

/** The round-plan part of distill options: without the architecture and the step count, which a round does not set. */
function roundDistillOf(options: DistillOptions): RoundDistillOptions {
  const {
    steps: _steps,
    noiseDimension: _noise,
    hiddenUnits: _hidden,
    labelerHiddenUnits: _labeler,
    emaDecay: _average,
    ...round
  } = options;
  return round;
}

/**
 * A site's check of a received plan: a plan version it does not know is named as such (the
 * coordinator runs a newer emodistill), before any field is looked at.
 */
export function checkRoundPlan(value: unknown): { ok: true; plan: RoundPlan } | { ok: false; reason: string } {
  const version = (value as { planVersion?: unknown } | null)?.planVersion;
  if (version !== ROUND_PLAN_VERSION)
    return {
      ok: false,
      reason: `round plan version ${JSON.stringify(version)} is not known to this site agent (it knows version ${ROUND_PLAN_VERSION}): install the coordinator's emodistill version on this site`,
    };
  if (Value.Check(RoundPlanSchema, value)) return { ok: true, plan: value };
  const errors = [...Value.Errors(RoundPlanSchema, value)].map((e) => `${e.path || '/'} ${e.message}`);
  return { ok: false, reason: `round plan: ${[...new Set(errors)].join('; ')}` };
}
