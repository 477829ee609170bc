/** A seeded source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/** mulberry32: small, fast, and good enough for shuffling and subsampling. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * `count` standard normal samples (Box–Muller on `rng`). Several times faster than
 * tf.randomNormal, which draws through seedrandom one value at a time.
 */
export function normalSamples(count: number, rng: Rng): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * Uniform numbers in [0, 1) from the platform's cryptographic generator (53 bits each): the noise
 * of a private release must not be predictable from a seed.
 */
export function cryptoRng(): Rng {
  const buffer = new BigUint64Array(512);
  let next = buffer.length;
  return {
    next(): number {
      if (next === buffer.length) {
        globalThis.crypto.getRandomValues(buffer);
        next = 0;
      }
      return Number(buffer[next++]! >> 11n) / 2 ** 53;
    },
  };
}
