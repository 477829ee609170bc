import { describe, expect, it } from 'vitest';
import { createRng } from '@emodistill/core';
import { balancedSpeakersNeeded, holdoutSpeakersNeeded, midRanks, speakerPermutationNull } from './permutation-null.js';
import { rocAuc, rocCurve } from './roc.js';

/** Every way to choose `k` of `items`. */
function combinations<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items;
  return [...combinations(rest, k - 1).map((c) => [first!, ...c]), ...combinations(rest, k)];
}

/** The `q` quantile as the permutation null defines it: the smallest value whose share at or below it is ≥ q. */
const quantileOf = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

describe('midRanks', () => {
  it('gives tied scores their mean rank', () => {
    expect([...midRanks([0.3, 0.1, 0.3, 0.2])]).toEqual([3.5, 1, 3.5, 2]);
  });
});

describe('the speaker-level permutation null', () => {
  it('matches the exact null of every member/holdout split (3 + 3 speakers, unequal utterance counts, ties)', () => {
    // arrange: 6 speakers with 2–5 utterances each, rounded scores so some tie
    const rng = createRng(7);
    const counts = [2, 5, 3, 4, 2, 3];
    const speakerOf = counts.flatMap((n, s) => Array.from({ length: n }, () => `s${s}`));
    const scores = speakerOf.map(() => Math.round(rng.next() * 20) / 20);
    const speakers = counts.map((_, s) => `s${s}`);
    const exact = combinations(speakers, 3)
      .map((members) => {
        const labels = speakerOf.map((s) => (members.includes(s) ? 1 : 0) as 0 | 1);
        return rocAuc(rocCurve(scores, labels));
      })
      .sort((a, b) => a - b);

    // act: quantiles chosen between steps of the exact distribution (20 splits, 5 % each)
    const null975 = speakerPermutationNull(scores, speakerOf, new Set(['s0', 's1', 's2']), {
      permutations: 50_000,
      seed: 1,
    });
    const null525 = speakerPermutationNull(scores, speakerOf, new Set(['s0', 's1', 's2']), {
      permutations: 50_000,
      seed: 2,
      quantile: 0.525,
    });

    // assert
    expect(null975).toMatchObject({ memberSpeakers: 3, holdoutSpeakers: 3, permutations: 50_000, quantile: 0.975 });
    expect(null975.limit).toBeCloseTo(quantileOf(exact, 0.975), 12);
    expect(null525.limit).toBeCloseTo(quantileOf(exact, 0.525), 12);
  });

  it('gives AUC j/20 with probability 1/21 each for 1 member among 21 speakers whose scores do not overlap', () => {
    // arrange: speaker s has 3 utterances scored 3s, 3s+1, 3s+2
    const speakerOf = Array.from({ length: 63 }, (_, i) => `s${Math.floor(i / 3)}`);
    const scores = speakerOf.map((_, i) => i);

    // act
    const median = speakerPermutationNull(scores, speakerOf, new Set(['s4']), {
      permutations: 20_000,
      seed: 3,
      quantile: 0.5,
    });
    const upper = speakerPermutationNull(scores, speakerOf, new Set(['s4']), { permutations: 20_000, seed: 3 });

    // assert: the median is 10/20 (its share at or below is 11/21); the 97.5th percentile is 20/20
    expect(median.limit).toBe(0.5);
    expect(upper.limit).toBe(1);
  });

  it('is repeatable for a seed', () => {
    const speakerOf = Array.from({ length: 40 }, (_, i) => `s${i % 8}`);
    const scores = speakerOf.map((_, i) => Math.sin(i));
    const members = new Set(['s0', 's1', 's2', 's3']);
    const a = speakerPermutationNull(scores, speakerOf, members, { permutations: 500, seed: 9 });
    const b = speakerPermutationNull(scores, speakerOf, members, { permutations: 500, seed: 9 });
    expect(a).toEqual(b);
  });
});

describe('speakers a pass needs', () => {
  const power = { limit: 0.8, quantile: 0.975, permutations: 1000, memberSpeakers: 4, holdoutSpeakers: 1 };

  it('scales the limit as √(1/m + 1/h): a limit of 0.8 with 4 + 1 speakers reaches 0.6 with about 30 per group', () => {
    // c = 0.3 / √(1/4 + 1) ≈ 0.268; balanced: 0.1 = c·√(2/n) → n = 2c²/0.01 = 14.4 → 15
    expect(balancedSpeakersNeeded(power, 0.6)).toBe(15);
    // these 4 members alone: 1/m = 0.25 > (0.1/c)² ≈ 0.139, so no holdout is enough
    expect(holdoutSpeakersNeeded(power, 0.6)).toBeUndefined();
  });

  it('finds the holdout size when the members allow it, and the current size when the limit is already under τ', () => {
    const many = { ...power, limit: 0.7, memberSpeakers: 40, holdoutSpeakers: 2 };
    // c = 0.2 / √(1/40 + 1/2) ≈ 0.276; 1/h = (0.1/c)² − 1/40 ≈ 0.1063 → h = 10
    expect(holdoutSpeakersNeeded(many, 0.6)).toBe(10);
    expect(holdoutSpeakersNeeded({ ...many, limit: 0.58 }, 0.6)).toBe(2);
  });
});
