import { describe, expect, it } from 'vitest';
import type { FeatureSet } from '../formats/feature-set.js';
import { summariseFeatureSet } from './summary.js';

describe('summariseFeatureSet', () => {
  it('counts rows per emotion in class order (zeros included), per speaker in natural order, and per non-empty session', () => {
    // arrange
    const set: FeatureSet = {
      ids: ['a', 'b', 'c', 'd', 'e'],
      speakers: ['s10', 's2', 's2', 's1', 's10'],
      emotions: ['sad', 'angry', 'sad', 'sad', 'angry'],
      sessions: ['2', '1', '', '1', '10'],
      features: new Float32Array(10),
      dimension: 2,
      classNames: ['sad', 'happy', 'angry'],
      spec: { name: 'x', version: '3', params: { frameMs: 25 }, dimensionNames: ['a', 'b'] },
      corpus: { source: 'manifest', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
    };

    // act
    const summary = summariseFeatureSet(set);

    // assert
    expect(summary.utterances).toBe(5);
    expect(summary.dimension).toBe(2);
    const pairs = (counts: typeof summary.perEmotion): [string, number][] => counts.map((c) => [c.value, c.utterances]);
    expect(pairs(summary.perEmotion)).toEqual([
      ['sad', 3],
      ['happy', 0],
      ['angry', 2],
    ]);
    expect(pairs(summary.perSpeaker)).toEqual([
      ['s1', 1],
      ['s2', 2],
      ['s10', 2],
    ]);
    expect(pairs(summary.perSession)).toEqual([
      ['1', 2],
      ['2', 1],
      ['10', 1],
    ]);
    expect(summary.feature).toEqual({ name: 'x', version: '3', params: { frameMs: 25 } });
    expect(summary.corpus.source).toBe('manifest');
  });
});
