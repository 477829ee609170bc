import { createRng, type FeatureSet } from '@emodistill/core';

const DIMENSION = 8;
const CLASSES = ['angry', 'happy', 'neutral', 'sad'];

/**
 * Speakers whose utterances cluster around a speaker centre plus an emotion offset.
 * @param speakerSpread standard deviation of the speaker centres (within-speaker noise is 0.5)
 */
export function corpus(speakers: string[], perSpeaker: number, seed: number, speakerSpread = 1): FeatureSet {
  const rng = createRng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const rows = speakers.flatMap((speaker) => {
    const centre = Array.from({ length: DIMENSION }, () => speakerSpread * normal());
    return Array.from({ length: perSpeaker }, (_, u) => ({
      speaker,
      emotion: u % CLASSES.length,
      values: centre.map((c, d) => c + (d === u % CLASSES.length ? 2 : 0) + 0.5 * normal()),
    }));
  });
  return {
    ids: rows.map((_, i) => `u${seed}-${i}`),
    speakers: rows.map((r) => r.speaker),
    emotions: rows.map((r) => CLASSES[r.emotion]!),
    sessions: rows.map(() => ''),
    features: Float32Array.from(rows.flatMap((r) => r.values)),
    dimension: DIMENSION,
    classNames: CLASSES,
    spec: {
      name: 'test',
      version: '1',
      params: {},
      dimensionNames: Array.from({ length: DIMENSION }, (_, d) => `d${d}`),
    },
    corpus: { source: 'test', task: 'custom', createdAt: '' },
  };
}
