import { createRng } from '@emodistill/core/federation';

/** A seeded source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * An Rng keyed by the corpus seed and a name (e.g. an utterance id), so each utterance's draws
 * do not depend on how many other utterances were generated before it.
 */
export function rngFor(seed: number, key: string): Rng {
  const rng = createRng(fnv1a32(`${seed}:${key}`));
  return () => rng.next();
}

/** Standard normal draw (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng(); // in (0, 1], so the log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Uniform draw in [low, high). */
export function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng();
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
