import type { SamplingDefaults } from '../formats/generator-bundle.js';
import type { DistillOptions } from './distill-config.js';

/**
 * Named distillation methods: training settings plus the sampling a bundle records for `sample`.
 * `paper`: the paper's losses and defaults (no weight average, no labeler, hard labels, every draw
 * kept). `select`: the same generator, sampled by oversample-and-select — 20 candidates per point
 * kept, herding in the hidden layer of a labeler derived from the generator itself (distill/sample.ts
 * `labelerOf`), so the bundle releases nothing more. `default`: what bench:distill measured best
 * without releasing a model trained on the members — for now the paper's method (README,
 * "Distillation methods": `select`'s gains are within their intervals and it raises the memorised
 * share; a labeler trained on the real rows selects better but leaks membership itself).
 */
export const DISTILL_METHODS = ['default', 'paper', 'select'] as const;
export type DistillMethod = (typeof DISTILL_METHODS)[number];

export interface MethodPreset {
  readonly distill: DistillOptions;
  readonly sampling: SamplingDefaults;
}

const PAPER: MethodPreset = {
  distill: { steps: 2000, emaDecay: 0, labelerHiddenUnits: [] },
  sampling: { labels: 'hard', oversample: 1 },
};

const PRESETS: Readonly<Record<DistillMethod, MethodPreset>> = {
  default: PAPER,
  paper: PAPER,
  select: { distill: PAPER.distill, sampling: { labels: 'hard', oversample: 20, selection: 'herding' } },
};

/** The preset of `method`, with `overrides` (e.g. --steps) on top of its training settings. */
export function methodPreset(method: DistillMethod, overrides: DistillOptions = {}): MethodPreset {
  const preset = PRESETS[method];
  return { distill: { ...preset.distill, ...overrides }, sampling: preset.sampling };
}
