import type { SamplingDefaults } from '../formats/generator-bundle.js';
import type { DistillOptions } from './distill-config.js';

/**
 * Named distillation methods: training settings plus the sampling a bundle records for `sample`.
 * `paper`: the paper's losses and defaults (no weight average, no labeler, hard labels, every draw
 * kept). `default`: what bench:distill measured best (README, "Distillation methods"): the same
 * training, and oversample-and-select when sampling, in the hidden layer of a labeler derived from
 * the generator itself (distill/sample.ts `labelerOf`), so the bundle releases nothing more.
 */
export const DISTILL_METHODS = ['default', 'paper'] as const;
export type DistillMethod = (typeof DISTILL_METHODS)[number];

export interface MethodPreset {
  readonly distill: DistillOptions;
  readonly sampling: SamplingDefaults;
}

const PRESETS: Readonly<Record<DistillMethod, MethodPreset>> = {
  default: {
    distill: { steps: 2000, emaDecay: 0, labelerHiddenUnits: [] },
    sampling: { labels: 'hard', oversample: 20, selection: 'herding' },
  },
  paper: {
    distill: { steps: 2000, emaDecay: 0, labelerHiddenUnits: [] },
    sampling: { labels: 'hard', oversample: 1 },
  },
};

/** The preset of `method`, with `overrides` (e.g. --steps) on top of its training settings. */
export function methodPreset(method: DistillMethod, overrides: DistillOptions = {}): MethodPreset {
  const preset = PRESETS[method];
  return { distill: { ...preset.distill, ...overrides }, sampling: preset.sampling };
}
