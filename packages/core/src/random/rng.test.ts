import { describe, expect, it } from 'vitest';
import { createRng, cryptoRng, normalSamples, shuffledIndices } from './rng.js';

/** The published mulberry32 (Tommy Ettinger), written independently as a reference. */
function referenceMulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const draw = (seed: number, count: number): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.next());
};

describe('createRng', () => {
  it('repeats the same sequence for the same seed', () => {
    // arrange / act
    const [first, second] = [draw(1234, 100), draw(1234, 100)];

    // assert
    expect(second).toEqual(first);
  });

  it('gives different sequences for different seeds (including 0)', () => {
    // arrange / act
    const sequences = [0, 1, 2].map((seed) => draw(seed, 5));

    // assert
    expect(sequences[0]).not.toEqual(sequences[1]);
    expect(sequences[1]).not.toEqual(sequences[2]);
  });

  it('is mulberry32: matches the reference implementation', () => {
    // arrange
    const reference = referenceMulberry32(42);

    // act
    const values = draw(42, 1000);

    // assert
    expect(values).toEqual(Array.from({ length: 1000 }, () => reference()));
  });

  it('draws uniformly from [0, 1)', () => {
    // arrange / act
    const values = draw(7, 20000);

    // assert
    expect(values.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 1);
    const belowTenth = values.filter((x) => x < 0.1).length / values.length;
    expect(belowTenth).toBeGreaterThan(0.09);
    expect(belowTenth).toBeLessThan(0.11);
  });
});

describe('shuffledIndices', () => {
  it('returns a permutation of 0..n−1, repeatable for a seed', () => {
    // arrange / act
    const first = shuffledIndices(50, createRng(3));
    const second = shuffledIndices(50, createRng(3));
    const other = shuffledIndices(50, createRng(4));

    // assert
    expect(Array.from(first).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).not.toEqual(Int32Array.from({ length: 50 }, (_, i) => i));
  });

  it('handles 0 and 1 elements', () => {
    // arrange / act / assert
    expect(Array.from(shuffledIndices(0, createRng(1)))).toEqual([]);
    expect(Array.from(shuffledIndices(1, createRng(1)))).toEqual([0]);
  });
});

describe('normalSamples', () => {
  it('has mean 0, variance 1, the normal tail mass and odd lengths, repeatably for a seed', () => {
    // arrange
    const count = 200_001;

    // act
    const samples = normalSamples(count, createRng(42));
    const again = normalSamples(count, createRng(42));

    // assert: standard errors of the mean and variance are ~0.002 and ~0.003 at this size
    const mean = samples.reduce((sum, x) => sum + x, 0) / count;
    const variance = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / count;
    const beyondTwo = samples.filter((x) => Math.abs(x) > 2).length / count;
    expect(samples).toHaveLength(count);
    expect(samples.every(Number.isFinite)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.015);
    expect(Math.abs(beyondTwo - 0.0455)).toBeLessThan(0.003);
    expect(again).toEqual(samples);
  });
});

describe('cryptoRng', () => {
  it('gives uniform numbers in [0, 1) from no seed: two generators differ, and their mean is near ½', () => {
    const a = Array.from({ length: 2000 }, cryptoRng().next);
    const b = Array.from({ length: 2000 }, cryptoRng().next);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(a).not.toEqual(b);
    // 2,000 uniforms: the mean's std is 0.0065
    expect(Math.abs(a.reduce((sum, v) => sum + v, 0) / a.length - 0.5)).toBeLessThan(0.04);
  });
});
