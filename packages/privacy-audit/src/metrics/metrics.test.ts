import { describe, expect, it } from 'vitest';
import { createRng } from '@emodistill/core';
import { bootstrap } from './bootstrap.js';
import { measureMemorisation } from './dcr.js';
import { nearestDistances } from './distances.js';
import { inferMembership, type LabelledRows } from './membership-inference.js';
import { rocAuc, rocCurve, tprAtFpr } from './roc.js';

/** Seeded standard-normal rows [count, dimension]. */
function gaussianRows(count: number, dimension: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from(
    { length: count * dimension },
    () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()),
  );
}

function speakerRows(
  speakers: number,
  perSpeaker: number,
  dimension: number,
  seed: number,
  prefix: string,
): LabelledRows {
  return {
    values: gaussianRows(speakers * perSpeaker, dimension, seed),
    dimension,
    speakers: Array.from({ length: speakers * perSpeaker }, (_, i) => `${prefix}${Math.floor(i / perSpeaker)}`),
  };
}

describe('ROC', () => {
  it('gives AUC 1 for separable scores, 0.5 for identical ones, and the TPR at low FPR', () => {
    // arrange
    const labels = [1, 1, 0, 0] as const;

    // act
    const perfect = rocCurve([0.9, 0.8, 0.2, 0.1], labels);
    const tied = rocCurve([0.5, 0.5, 0.5, 0.5], labels);
    const mixed = rocCurve([0.9, 0.3, 0.5, 0.1], labels);

    // assert
    expect(rocAuc(perfect)).toBe(1);
    expect(rocAuc(tied)).toBe(0.5);
    expect(rocAuc(mixed)).toBe(0.75);
    expect(tprAtFpr(perfect, 0.01)).toBe(1);
    expect(tprAtFpr(mixed, 0.01)).toBe(0.5);
  });
});

describe('bootstrap', () => {
  it('brackets the statistic and is repeatable for a seed', () => {
    // arrange
    const values = Array.from({ length: 50 }, (_, i) => i);
    const mean = (units: readonly number[]): number => units.reduce((s, u) => s + values[u]!, 0) / units.length;

    // act
    const a = bootstrap(values.length, mean, { resamples: 400, seed: 3 });
    const b = bootstrap(values.length, mean, { resamples: 400, seed: 3 });

    // assert
    expect(a.value).toBe(24.5);
    expect(a.low).toBeLessThan(24.5);
    expect(a.high).toBeGreaterThan(24.5);
    expect(a.high - a.low).toBeLessThan(12);
    expect(b).toEqual(a);
  });
});

describe('nearestDistances', () => {
  it('finds the nearest and second-nearest rows, honouring exclusions', () => {
    // arrange: references at 0, 1, 3 on a line
    const references = { values: Float32Array.from([0, 1, 3]), dimension: 1 };
    const queries = { values: Float32Array.from([0.9]), dimension: 1 };

    // act
    const all = nearestDistances(queries, references);
    const withoutNearest = nearestDistances(queries, references, (_, r) => r === 1);

    // assert
    expect(all.first[0]).toBeCloseTo(0.1, 5);
    expect(all.second[0]).toBeCloseTo(0.9, 5);
    expect(withoutNearest.first[0]).toBeCloseTo(0.9, 5);
  });
});

describe('membership inference and memorisation on constructed data', () => {
  const members = speakerRows(8, 10, 6, 1, 'm');
  const holdout = speakerRows(8, 10, 6, 2, 'h');

  it('sees a copy of the member records: AUC 1, every synthetic sample memorised, NNDR near 0', () => {
    // act
    const membership = inferMembership(members, members, holdout, { resamples: 200 });
    const memorisation = measureMemorisation(members, members, holdout);

    // assert
    expect(membership.nearestNeighbour.utteranceAuc.value).toBe(1);
    expect(membership.nearestNeighbour.speakerAuc.value).toBe(1);
    expect(membership.nearestNeighbour.tprAtFpr1).toBe(1);
    expect(memorisation.syntheticShareBelowHoldoutP5).toBe(1);
    expect(memorisation.syntheticCopyShare).toBe(1);
    expect(memorisation.syntheticNndrMedian).toBe(0);
    expect(memorisation.holdoutShareBelowP5).toBeGreaterThan(0);
    expect(memorisation.holdoutShareBelowP5).toBeLessThan(0.1);
  });

  it('sees nothing in samples drawn independently of the members: AUC near 0.5', () => {
    // arrange: synthetic rows from the same distribution, unrelated to any member
    const synthetic = { values: gaussianRows(400, 6, 9), dimension: 6 };

    // act
    const membership = inferMembership(synthetic, members, holdout, { resamples: 200 });
    const memorisation = measureMemorisation(synthetic, members, holdout);

    // assert
    expect(membership.nearestNeighbour.utteranceAuc.value).toBeGreaterThan(0.35);
    expect(membership.nearestNeighbour.utteranceAuc.value).toBeLessThan(0.65);
    expect(membership.nearestNeighbour.utteranceAuc.low).toBeLessThan(0.5);
    expect(memorisation.syntheticShareBelowHoldoutP5).toBeLessThan(0.15);
    expect(memorisation.syntheticCopyShare).toBeLessThan(0.1);
  });

  it("does not count as copies new samples of the members' speakers that are merely nearer than a distant holdout speaker", () => {
    // arrange: members are 8 speaker clusters; the one holdout speaker lies far from all of them;
    // the synthetic rows are fresh draws around the members' speaker centres (no record reproduced)
    const dimension = 6;
    const centres = gaussianRows(8, dimension, 11).map((v) => 3 * v);
    const noise = (count: number, seed: number): Float32Array => gaussianRows(count, dimension, seed);
    const around = (count: number, seed: number): Float32Array => {
      const rows = noise(count, seed);
      return rows.map((v, i) => centres[(Math.floor(i / dimension) % 8) * dimension + (i % dimension)]! + 0.5 * v);
    };
    const clustered: LabelledRows = {
      values: around(80, 12),
      dimension,
      speakers: Array.from({ length: 80 }, (_, i) => `m${i % 8}`),
    };
    const distant = { values: noise(10, 13).map((v) => 8 + 0.5 * v), dimension };
    const fresh = { values: around(200, 14), dimension };

    // act
    const copies = measureMemorisation(clustered, clustered, distant);
    const memorisation = measureMemorisation(fresh, clustered, distant);

    // assert: by DCR alone nearly every fresh sample looks memorised; as copies, none is
    expect(memorisation.syntheticShareBelowHoldoutP5).toBeGreaterThan(0.9);
    expect(memorisation.syntheticCopyShare).toBeLessThan(0.1);
    expect(copies.syntheticCopyShare).toBe(1);
  });
});
