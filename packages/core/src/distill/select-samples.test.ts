import { describe, expect, it } from 'vitest';
import { kCenter } from '../stats/k-center.js';
import { selectByHerding, selectCandidates } from './select-samples.js';

/**
 * Eight candidates in a 1-D embedding. Class 0 sits at 5 + {+0.1, +0.2, −0.35, −0.6, +0.65}
 * (mean 5), class 1 at {20, 22, 21.5} (mean 21.1667), interleaved by row.
 * Herding by hand, class 0: the nearest to 5 is row 0 (5.1); then the point that pulls the running
 * mean back, ideally 4.9: row 3 (4.65, off by 0.25) beats row 2 (5.2, off by 0.3), although row 2
 * is nearer the class mean; then ideally 5.25: row 2; then ideally 5.05: row 6 (5.65) before row 5
 * (4.4). Class 1: row 7 (21.5) nearest 21.1667, then ideally 20.83: row 1 (20), then row 4.
 */
const EMBEDDING = Float32Array.from([5.1, 20, 5.2, 4.65, 22, 4.4, 5.65, 21.5]);
const LABELS = Int32Array.from([0, 1, 0, 0, 1, 0, 0, 1]);
const CLASS_0_ORDER = [0, 3, 2, 6, 5];
const CLASS_1_ORDER = [7, 1, 4];

describe('selectByHerding', () => {
  it('keeps every candidate in herding order, class by class, when each class asks for all of its candidates', () => {
    // arrange / act
    const kept = selectByHerding(EMBEDDING, 1, LABELS, [5, 3]);

    // assert
    expect(kept).toBeInstanceOf(Int32Array);
    expect(Array.from(kept)).toEqual([...CLASS_0_ORDER, ...CLASS_1_ORDER]);
  });

  it("keeps perClass[c] of class c: herding's first pick is the one nearest the class mean, the next balances it", () => {
    // arrange / act
    const kept = selectByHerding(EMBEDDING, 1, LABELS, [2, 1]);

    // assert: row 3, not row 2 (the second nearest to the mean), comes second in class 0
    expect(Array.from(kept)).toEqual([0, 3, 7]);
    expect(Array.from(kept, (row) => LABELS[row])).toEqual([0, 0, 1]);
  });

  it('clamps a count above the candidates of a class to all of them', () => {
    // arrange / act
    const kept = selectByHerding(EMBEDDING, 1, LABELS, [9, 10]);

    // assert
    expect(Array.from(kept)).toEqual([...CLASS_0_ORDER, ...CLASS_1_ORDER]);
  });

  it('keeps nothing of a class asked for 0 rows or without candidates', () => {
    // arrange / act
    const noneOfClass0 = selectByHerding(EMBEDDING, 1, LABELS, [0, 2]);
    const absentClass2 = selectByHerding(EMBEDDING, 1, LABELS, [1, 1, 3]);

    // assert
    expect(Array.from(noneOfClass0)).toEqual([7, 1]);
    expect(Array.from(absentClass2)).toEqual([0, 7]);
  });

  it('measures distances over all `width` embedding dimensions, and returns rows of the whole candidate list', () => {
    // arrange: class 1 in 2-D at (0, 3), (3, 0), (1, 1.2), (2, 2), mean (1.5, 1.55); squared distances
    // 4.35, 4.65, 0.3725, 0.4525, so (1, 1.2) (row 3) is nearest, though neither coordinate alone says so
    const embedding = Float32Array.from([9, 9, 0, 3, 3, 0, 1, 1.2, 2, 2]);
    const labels = Int32Array.from([0, 1, 1, 1, 1]);
    const copy = embedding.slice();

    // act
    const kept = selectByHerding(embedding, 2, labels, [1, 1]);

    // assert
    expect(Array.from(kept)).toEqual([0, 3]);
    expect(embedding).toEqual(copy);
  });
});

describe('selectCandidates', () => {
  // 1-D candidates: class 0 at 0, 1, 2, 10; class 1 at 5, 6.
  const embedding = Float32Array.from([0, 5, 1, 2, 6, 10]);
  const labels = Int32Array.from([0, 1, 0, 0, 1, 0]);

  it('with herding is selectByHerding', () => {
    expect(selectCandidates(embedding, 1, labels, [2, 1], 'herding', 0)).toEqual(
      selectByHerding(embedding, 1, labels, [2, 1]),
    );
  });

  it('with k-center covers each class: after a seeded start, always the farthest candidate', () => {
    // arrange
    const expected = [
      ...kCenter(embedding, [0, 2, 3, 5], 2, 1, 4 * 7919),
      ...kCenter(embedding, [1, 4], 1, 1, 4 * 7919 + 1),
    ];

    // act
    const kept = selectCandidates(embedding, 1, labels, [2, 1], 'k-center', 4);

    // assert
    expect([...kept]).toEqual(expected);
    // the second pick of class 0 is the candidate farthest from the first
    const first = embedding[kept[0]!]!;
    const farthest = [0, 2, 3, 5].reduce((a, b) =>
      Math.abs(embedding[b]! - first) > Math.abs(embedding[a]! - first) ? b : a,
    );
    expect(kept[1]).toBe(farthest);
  });
});
