import { describe, expect, it } from 'vitest';
import { labelIndices, restrictClasses, selectRows, type FeatureSet } from './feature-set.js';

/** Four rows of three dims; row i holds [i, i + 0.5, −i]. */
function makeSet(): FeatureSet {
  return {
    ids: ['u0', 'u1', 'u2', 'u3'],
    speakers: ['s1', 's1', 's2', 's2'],
    emotions: ['sad', 'angry', 'happy', 'sad'],
    sessions: ['1', '1', '2', ''],
    features: Float32Array.from([0, 0.5, -0, 1, 1.5, -1, 2, 2.5, -2, 3, 3.5, -3]),
    dimension: 3,
    classNames: ['angry', 'happy', 'sad'],
    spec: { name: 't', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] },
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

describe('labelIndices', () => {
  it('gives each row its emotion\u2019s index in classNames order', () => {
    // arrange / act / assert
    expect(Array.from(labelIndices(makeSet()))).toEqual([2, 0, 1, 2]);
  });
});

describe('selectRows', () => {
  it('keeps the chosen rows with their features and all metadata, leaving the input unchanged', () => {
    // arrange
    const set = makeSet();

    // act
    const selected = selectRows(set, (i) => i % 2 === 1);

    // assert
    expect(selected.ids).toEqual(['u1', 'u3']);
    expect(selected.speakers).toEqual(['s1', 's2']);
    expect(selected.emotions).toEqual(['angry', 'sad']);
    expect(selected.sessions).toEqual(['1', '']);
    expect(Array.from(selected.features)).toEqual([1, 1.5, -1, 3, 3.5, -3]);
    expect(selected.classNames).toEqual(set.classNames);
    expect(selected.spec).toBe(set.spec);
    expect(set).toEqual(makeSet());
  });

  it('gives an empty set when nothing is kept', () => {
    // arrange / act
    const selected = selectRows(makeSet(), () => false);

    // assert
    expect(selected.ids).toEqual([]);
    expect(selected.features.length).toBe(0);
    expect(selected.dimension).toBe(3);
  });
});

describe('selectRows with soft labels', () => {
  it('keeps the probabilities of the kept rows, in order, and leaves the input unchanged', () => {
    // arrange: row i's probabilities over [angry, happy, sad] start with i/10
    const probabilities = Float32Array.from([0, 0.25, 0.75, 0.1, 0.4, 0.5, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4]);
    const set: FeatureSet = { ...makeSet(), probabilities };

    // act
    const selected = selectRows(set, (i) => i === 1 || i === 3);

    // assert
    expect(selected.probabilities).toBeInstanceOf(Float32Array);
    expect(Array.from(selected.probabilities!)).toEqual(Array.from(Float32Array.from([0.1, 0.4, 0.5, 0.3, 0.3, 0.4])));
    expect(selected.ids).toEqual(['u1', 'u3']);
    expect(set.probabilities).toEqual(Float32Array.from([0, 0.25, 0.75, 0.1, 0.4, 0.5, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4]));
  });

  it('gives an empty probabilities array when nothing is kept, and none when the set has none', () => {
    // arrange
    const soft: FeatureSet = { ...makeSet(), probabilities: new Float32Array(12).fill(1 / 3) };

    // act
    const empty = selectRows(soft, () => false);
    const hard = selectRows(makeSet(), () => true);

    // assert
    expect(empty.probabilities).toEqual(new Float32Array(0));
    expect('probabilities' in hard).toBe(false);
  });
});

describe('restrictClasses', () => {
  it('keeps only rows of the given classes, which become the class list in the given order', () => {
    // arrange / act
    const restricted = restrictClasses(makeSet(), ['sad', 'angry']);

    // assert
    expect(restricted.ids).toEqual(['u0', 'u1', 'u3']);
    expect(restricted.classNames).toEqual(['sad', 'angry']);
    expect(Array.from(labelIndices(restricted))).toEqual([0, 1, 0]);
  });

  it('drops soft labels: probabilities over the old classes mean nothing over the new ones', () => {
    // arrange
    const set: FeatureSet = { ...makeSet(), probabilities: new Float32Array(12).fill(1 / 3) };

    // act
    const restricted = restrictClasses(set, ['sad', 'angry']);

    // assert
    expect('probabilities' in restricted).toBe(false);
    expect(restricted.ids).toEqual(['u0', 'u1', 'u3']);
    expect(set.probabilities).toHaveLength(12);
  });
});
