import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { createRng } from '../random/rng.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { CORESET_METHODS, selectCoreset } from './coresets.js';

/** One row per entry: [class, ...features]. */
function makeSet(rows: readonly (readonly [string, ...number[]])[], classNames: readonly string[]): FeatureSet {
  const dimension = rows[0]!.length - 1;
  return {
    ids: rows.map((_, i) => `u${i}`),
    speakers: rows.map((_, i) => `s${i % 3}`),
    emotions: rows.map(([emotion]) => emotion),
    sessions: rows.map(() => ''),
    features: Float32Array.from(rows.flatMap(([, ...values]) => values)),
    dimension,
    classNames,
    spec: { name: 't', version: '1', params: {}, dimensionNames: Array.from({ length: dimension }, (_, d) => `f${d}`) },
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

/** 3 classes of 6, 3 and 1 random 2-D rows (interleaved), plus a class without rows. */
function makeRandomSet(): FeatureSet {
  const rng = createRng(5);
  const labels = ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'a', 'b', 'a'];
  return makeSet(
    labels.map((label) => [label, rng.next() * 10, rng.next() * 100 - 50] as const),
    ['a', 'b', 'c', 'd'],
  );
}

const rowOf = (set: FeatureSet, i: number): number[] =>
  Array.from(set.features.subarray(i * set.dimension, (i + 1) * set.dimension));

describe('selectCoreset', () => {
  it.each(CORESET_METHODS)(
    '%s picks min(ipc, class size) real rows per class, with their own features and labels',
    (method) => {
      // arrange
      const set = makeRandomSet();

      // act
      const coreset = selectCoreset(set, method, 2, 1);

      // assert
      const perClass = Object.fromEntries(
        set.classNames.map((c) => [c, coreset.emotions.filter((e) => e === c).length]),
      );
      expect(perClass).toEqual({ a: 2, b: 2, c: 1, d: 0 });
      expect(new Set(coreset.ids).size).toBe(coreset.ids.length);
      coreset.ids.forEach((id, i) => {
        const original = set.ids.indexOf(id);
        expect(original).toBeGreaterThanOrEqual(0);
        expect(coreset.emotions[i]).toBe(set.emotions[original]);
        expect(coreset.speakers[i]).toBe(set.speakers[original]);
        expect(rowOf(coreset, i)).toEqual(rowOf(set, original));
      });
      expect(coreset.classNames).toEqual(set.classNames);
    },
  );

  it.each(CORESET_METHODS)('%s keeps every row when ipc exceeds every class', (method) => {
    // arrange
    const set = makeRandomSet();

    // act
    const coreset = selectCoreset(set, method, 50, 3);

    // assert
    expect(coreset.ids).toEqual(set.ids);
  });

  it.each(CORESET_METHODS)('%s is deterministic per seed and leaves the input unchanged', (method) => {
    // arrange
    const set = makeRandomSet();

    // act
    const first = selectCoreset(set, method, 3, 7);
    const second = selectCoreset(set, method, 3, 7);

    // assert
    expect(second.ids).toEqual(first.ids);
    expect(set).toEqual(makeRandomSet());
  });

  it('random depends on the seed', () => {
    // arrange
    const set = makeRandomSet();

    // act
    const selections = new Set([0, 1, 2, 3, 4, 5].map((seed) => selectCoreset(set, 'random', 2, seed).ids.join()));

    // assert
    expect(selections.size).toBeGreaterThan(1);
  });

  it('herding with ipc 1 picks the row nearest the class mean', () => {
    // arrange: class x on a line at 0, 1, 2, 10 (mean 3.25 → the row at 2); class y at 5, 6, 9 (mean 6.67 → 6)
    const set = makeSet(
      [
        ['x', 0, 1],
        ['y', 5, 1],
        ['x', 1, 1],
        ['x', 10, 1],
        ['y', 9, 1],
        ['x', 2, 1],
        ['y', 6, 1],
      ],
      ['x', 'y'],
    );

    // act
    const coreset = selectCoreset(set, 'herding', 1);

    // assert
    expect(coreset.ids).toEqual(['u5', 'u6']);
  });

  it('herding with ipc 2 picks the pair whose mean is nearest the class mean', () => {
    // arrange: rows at 0, 4, 5, 11 (mean 5): first 5 (distance 0), then the partner that keeps the mean nearest 5 (4: mean 4.5)
    const set = makeSet(
      [
        ['x', 0],
        ['x', 4],
        ['x', 5],
        ['x', 11],
      ],
      ['x', 'y'],
    );

    // act
    const coreset = selectCoreset(set, 'herding', 2);

    // assert
    expect(coreset.ids).toEqual(['u1', 'u2']);
  });

  it('k-center covers well-separated clusters: one row from each, whatever the seed', () => {
    // arrange: three tight 1-D clusters around 0, 100 and 200, rows interleaved
    const values = [0, 100, 200, 1, 101, 201, 2, 102, 202, 0.5];
    const set = makeSet(
      values.map((v) => ['x', v] as const),
      ['x', 'y'],
    );

    // act
    const selections = [0, 1, 2, 3, 4, 5, 6, 7].map((seed) => selectCoreset(set, 'k-center', 3, seed));

    // assert
    for (const coreset of selections) {
      const clusters = Array.from(coreset.features, (v) => Math.round(v / 100)).sort();
      expect(clusters).toEqual([0, 1, 2]);
    }
    expect(new Set(selections.map((c) => c.ids.join())).size).toBeGreaterThan(1);
  });

  it('k-center with ipc 2 on a line picks its seeded start and the point farthest from it', () => {
    // arrange: points 0, 1, 2, 3, 10
    const set = makeSet(
      [0, 1, 2, 3, 10].map((v) => ['x', v] as const),
      ['x', 'y'],
    );

    // act
    const selections = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((seed) =>
      Array.from(selectCoreset(set, 'k-center', 2, seed).features),
    );

    // assert: rows keep their order, so each pair is [start, 10] (or [0, 10] when the start is 10)
    for (const [low, high] of selections) {
      expect(high).toBe(10);
      expect([0, 1, 2, 3]).toContain(low);
    }
    expect(new Set(selections.map(([low]) => low)).size).toBeGreaterThan(1);
  });

  it('k-center still returns ipc distinct rows when a class has duplicate rows', () => {
    // arrange: three identical rows and one other; ipc 3 must pick three different rows
    const set = makeSet(
      [
        ['x', 5, 5],
        ['x', 5, 5],
        ['x', 5, 5],
        ['x', 7, 5],
      ],
      ['x', 'y'],
    );

    // act
    const sizes = [0, 1, 2, 3, 4].map((seed) => selectCoreset(set, 'k-center', 3, seed).ids.length);

    // assert
    expect(sizes).toEqual([3, 3, 3, 3, 3]);
  });

  it.each([0, -2, 1.5])('refuses ipc %s with INVALID_OPTION', async (ipc) => {
    // arrange / act / assert
    await expectEmodistillError(
      () => selectCoreset(makeRandomSet(), 'random', ipc),
      ERROR_CODES.invalidOption,
      String(ipc),
    );
  });
});
