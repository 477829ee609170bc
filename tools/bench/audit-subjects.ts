/**
 * What bench:audit and bench:privacy share: the corpus, a seeded deal of its speakers into holdout,
 * null-control and member groups, the leaky control, and training and sampling a generator the way
 * its bundle would.
 */
import { fileURLToPath } from 'node:url';
import {
  createGeneratorBundle,
  createRng,
  distill,
  extractFeatureSet,
  listEmodb,
  loadGenerator,
  methodPreset,
  readFeatureSet,
  sampleFeatureSet,
  splitBySpeakers,
  type DistillMethod,
  type DistillOptions,
  type FeatureSet,
  type GeneratorForSampling,
} from '@emodistill/core';

export const EMODB_WAV: string = fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url));

/** The command-line options of the corpus and its speaker deal, for node:util parseArgs. */
export const CORPUS_OPTIONS = {
  emodb: { type: 'string', default: EMODB_WAV },
  features: { type: 'string' },
  'holdout-speakers': { type: 'string' },
  'null-speakers': { type: 'string' },
  'split-seed': { type: 'string', default: '0' },
  steps: { type: 'string', default: '2000' },
} as const;

/** The corpus the options name, dealt into holdout, null-control and member speakers. */
export async function loadAndDeal(args: {
  emodb: string;
  features?: string;
  'holdout-speakers'?: string;
  'null-speakers'?: string;
  'split-seed': string;
}): Promise<SpeakerDeal & { corpusName: string }> {
  const { set, name } = await loadAuditCorpus(args.features, args.emodb);
  return {
    corpusName: name,
    ...dealSpeakers(set, {
      holdoutSpeakers: args['holdout-speakers'] === undefined ? undefined : Number(args['holdout-speakers']),
      nullSpeakers: args['null-speakers'] === undefined ? undefined : Number(args['null-speakers']),
      seed: Number(args['split-seed']),
    }),
  };
}

/** A feature set file, or EmoDB 4-class extracted from its WAV folder. */
export async function loadAuditCorpus(
  features: string | undefined,
  emodb: string,
): Promise<{ set: FeatureSet; name: string }> {
  return features
    ? { set: await readFeatureSet(features), name: features }
    : { set: (await extractFeatureSet(await listEmodb(emodb, '4class'))).set, name: 'EmoDB 4-class' };
}

export interface SpeakerDeal {
  readonly members: FeatureSet;
  readonly holdout: FeatureSet;
  /** The null control's training rows: speakers that are neither members nor holdout. */
  readonly nullTrain: FeatureSet;
  readonly holdoutSpeakers: readonly string[];
  readonly nullSpeakers: readonly string[];
}

/**
 * A seeded shuffle of the sorted speakers, dealt: holdout first, then the null-control group, the
 * rest are members (default 40 % / 20 % / 40 %), so nothing depends on a corpus's speaker ids.
 */
export function dealSpeakers(
  set: FeatureSet,
  options: { holdoutSpeakers?: number; nullSpeakers?: number; seed: number },
): SpeakerDeal {
  const speakers = [...new Set(set.speakers)].sort();
  const rng = createRng(options.seed);
  for (let i = speakers.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [speakers[i], speakers[j]] = [speakers[j]!, speakers[i]!];
  }
  const holdoutCount = options.holdoutSpeakers ?? Math.max(1, Math.round(0.4 * speakers.length));
  const nullCount = options.nullSpeakers ?? Math.max(1, Math.round(0.2 * speakers.length));
  if (holdoutCount + nullCount > speakers.length - 2)
    throw new Error(
      `${speakers.length} speakers cannot give ${holdoutCount} holdout and ${nullCount} null-control speakers and keep 2 members`,
    );
  const holdoutSpeakers = speakers.slice(0, holdoutCount);
  const nullSpeakers = speakers.slice(holdoutCount, holdoutCount + nullCount);
  const { train: rest, test: holdout } = splitBySpeakers(set, holdoutSpeakers);
  const { train: members, test: nullTrain } = splitBySpeakers(rest, nullSpeakers);
  return { members, holdout, nullTrain, holdoutSpeakers, nullSpeakers };
}

/** Member records plus Gaussian noise of 1 % of each dimension's spread: a generator that copies. */
export function leakyControl(real: FeatureSet): FeatureSet {
  const rng = createRng(7);
  const spread = new Float64Array(real.dimension);
  for (let i = 0; i < real.features.length; i++)
    spread[i % real.dimension]! += Math.abs(real.features[i]!) / (real.features.length / real.dimension);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return {
    ...real,
    features: Float32Array.from(real.features, (v, i) => v + 0.01 * spread[i % real.dimension]! * normal()),
  };
}

/** Distils `rows` and loads the result as its bundle would be loaded (the caller disposes it). */
export async function trainGenerator(
  rows: FeatureSet,
  options: DistillOptions,
  backend: string,
  label: string,
): Promise<GeneratorForSampling & { privacy?: Awaited<ReturnType<typeof distill>>['privacy'] }> {
  // DP's secret seed is the generator seed here, so that a benchmark's figure can be reproduced
  // (a real run draws a secret one).
  const result = await distill(rows, options, { privateSeed: options.seed ?? 0 });
  console.log(`distillation (${label}): ${result.steps} steps in ${result.seconds.toFixed(0)} s`);
  return { ...loadGenerator(createGeneratorBundle(result, rows, backend), 'bench'), privacy: result.privacy };
}

/** 50 synthetic rows per class, sampled with the method's settings. */
export const sampleAt50 = (generator: GeneratorForSampling, method: DistillMethod, label: string): FeatureSet =>
  sampleFeatureSet(
    generator,
    { ipc: 50, prior: 'balanced', seed: 1, selection: 'herding', temperature: 1, ...methodPreset(method).sampling },
    label,
  );
