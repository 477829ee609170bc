import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { latentOffsetOf, latentOffsets, siteLatentPrior } from './latent-prior.js';

const SITES = [
  { name: 'site-a', numExamples: 50 },
  { name: 'site-b', numExamples: 30 },
  { name: 'site-c', numExamples: 20 },
];

describe('siteLatentPrior', () => {
  it('gives each site its share of rows and a centre at the radius, in directions far apart', () => {
    // arrange / act
    const prior = siteLatentPrior(SITES, 64, 4);

    // assert
    expect(prior.components.map((c) => [c.name, c.weight])).toEqual([
      ['site-a', 0.5],
      ['site-b', 0.3],
      ['site-c', 0.2],
    ]);
    const norms = prior.components.map((c) => Math.hypot(...c.offset));
    norms.forEach((norm) => expect(norm).toBeCloseTo(4, 4));
    const cosine = (a: readonly number[], b: readonly number[]): number =>
      a.reduce((sum, x, i) => sum + x * b[i]!, 0) / 16;
    const [a, b, c] = prior.components.map((component) => component.offset);
    // random unit vectors in 64 dimensions: |cos| ≈ 1/8; regions 4σ out stay apart
    for (const [x, y] of [
      [a!, b!],
      [a!, c!],
      [b!, c!],
    ] as const)
      expect(Math.abs(cosine(x, y))).toBeLessThan(0.45);
  });

  it('is the same for the same sites, so a resumed coordinator rebuilds the same regions', () => {
    // arrange / act
    const first = siteLatentPrior(SITES, 16, 4);
    const again = siteLatentPrior(SITES, 16, 4);

    // assert
    expect(again).toEqual(first);
  });

  it('refuses sites without training rows', async () => {
    // arrange / act / assert
    await expectEmodistillError(
      () => siteLatentPrior([{ name: 'empty', numExamples: 0 }], 8, 4),
      ERROR_CODES.invalidOption,
      'empty: 0',
    );
  });
});

describe('latentOffsetOf', () => {
  it("returns the named site's centre, and nothing for another name or no prior", () => {
    // arrange
    const prior = siteLatentPrior(SITES, 8, 4);

    // act / assert
    expect(Array.from(latentOffsetOf(prior, 'site-b')!)).toEqual(prior.components[1]!.offset);
    expect(latentOffsetOf(prior, 'site-z')).toBeUndefined();
    expect(latentOffsetOf(undefined, 'site-a')).toBeUndefined();
  });
});

describe('latentOffsets', () => {
  it("draws each row's centre from the components in proportion to their weights, reproducibly per seed", () => {
    // arrange
    const prior = siteLatentPrior(SITES, 4, 4);
    const rows = 20_000;

    // act
    const offsets = latentOffsets(prior, rows, 4, 11);
    const again = latentOffsets(prior, rows, 4, 11);
    const other = latentOffsets(prior, rows, 4, 12);

    // assert: every row is one of the centres, at the components' frequencies
    const counts = [0, 0, 0];
    for (let row = 0; row < rows; row++) {
      const values = Array.from(offsets.subarray(row * 4, row * 4 + 4));
      const k = prior.components.findIndex((c) => c.offset.every((v, i) => Math.fround(v) === values[i]));
      expect(k).toBeGreaterThanOrEqual(0);
      counts[k]!++;
    }
    counts.forEach((count, k) => expect(Math.abs(count / rows - prior.components[k]!.weight)).toBeLessThan(0.015));
    expect(again).toEqual(offsets);
    expect(other).not.toEqual(offsets);
  });
});
