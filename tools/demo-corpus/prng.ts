/** A seeded source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a 32-bit PRNG, small and good enough for jitter and noise. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An Rng keyed by the corpus seed and a name (e.g. an utterance id), so each utterance's draws
 * do not depend on how many other utterances were generated before it.
 */
export function rngFor(seed: number, key: string): Rng {
  return mulberry32(fnv1a32(`${seed}:${key}`));
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
