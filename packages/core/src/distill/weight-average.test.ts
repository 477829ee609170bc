import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMlp, type Mlp } from '../models/mlp.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { useWasmBackend } from '../../test/backend.js';
import { createWeightAverage, warmedDecay } from './weight-average.js';

describe('warmedDecay', () => {
  it('starts at (1 + 1)/(10 + 1) = 2/11 for the first update', () => {
    // arrange / act / assert
    expect(warmedDecay(0.999, 1)).toBe(2 / 11);
  });

  it('follows (1 + k)/(10 + k) while that is below the decay, then stays at the decay', () => {
    // arrange: (1 + k)/(10 + k) = 0.5 at k = 8, above it from k = 9

    // act / assert
    expect(warmedDecay(0.5, 2)).toBe(3 / 12);
    expect(warmedDecay(0.5, 8)).toBe(0.5);
    expect(warmedDecay(0.5, 9)).toBe(0.5);
    expect(warmedDecay(0.5, 1000)).toBe(0.5);
  });

  it('reaches the decay for large k: 0.999 from k = 8991 on', () => {
    // arrange: (1 + k)/(10 + k) ≥ 0.999 ⇔ k ≥ 8990

    // act / assert
    expect(warmedDecay(0.999, 8989)).toBe(8990 / 8999);
    expect(warmedDecay(0.999, 8989)).toBeLessThan(0.999);
    expect(warmedDecay(0.999, 10_000)).toBe(0.999);
    expect(warmedDecay(0.999, 1e9)).toBe(0.999);
  });
});

describe('createWeightAverage', () => {
  useWasmBackend();

  /** A 2 → [3] → 2 network: kernels [2, 3], [3, 2], biases [3], [2]. */
  function tinyNetwork(): Mlp {
    return createMlp({
      inputDimension: 2,
      hiddenUnits: [3],
      outputDimension: 2,
      activation: 'relu',
      seed: 1,
      name: 'g',
    });
  }

  /** The network's weights with value v at each position i of tensor t set to `value(t, i)`. */
  function weightsOf(network: Mlp, value: (tensor: number, i: number) => number): WeightSnapshot {
    return toSnapshot(network).map((tensor, t) => ({ ...tensor, values: tensor.values.map((_, i) => value(t, i)) }));
  }

  it('starts from the weights it was created with: the snapshot before any update equals them', () => {
    // arrange
    const network = tinyNetwork();
    const initial = toSnapshot(network);

    // act
    const average = createWeightAverage(network, 0.9);
    applySnapshot(
      network,
      weightsOf(network, () => 5),
      'test',
    );
    const snapshot = average.snapshot();
    average.dispose();
    network.dispose();

    // assert
    expect(average.updates).toBe(0);
    expect(snapshot).toEqual(initial);
  });

  it('folds each update in as avg = d·avg + (1 − d)·w with the warmed-up decay d, from the initial weights', () => {
    // arrange: known start weights, then three different weight sets the network passes through
    const decay = 0.3;
    const network = tinyNetwork();
    const start = weightsOf(network, (t, i) => (t + 1) * 0.5 - i * 0.25);
    applySnapshot(network, start, 'start');
    const steps = [
      weightsOf(network, (t, i) => 2 + t - i),
      weightsOf(network, (t, i) => -1 + 0.1 * i * t),
      weightsOf(network, (t, i) => 4 - 0.5 * i),
    ];
    // the hand computation, in float64: d = 2/11, 3/12, then min(0.3, 4/13) = 0.3
    const decays = [2 / 11, 3 / 12, 0.3];
    const expected = start.map((tensor, t) => {
      const avg = Array.from(tensor.values);
      steps.forEach((weights, k) => {
        const d = decays[k]!;
        avg.forEach((a, i) => (avg[i] = d * a + (1 - d) * weights[t]!.values[i]!));
      });
      return avg;
    });

    // act
    const average = createWeightAverage(network, decay);
    for (const weights of steps) {
      applySnapshot(network, weights, 'step');
      average.update();
    }
    const snapshot = average.snapshot();
    const networkAfter = toSnapshot(network);
    average.dispose();
    network.dispose();

    // assert
    expect(decays).toEqual([1, 2, 3].map((k) => warmedDecay(decay, k)));
    expect(average.updates).toBe(3);
    expect(snapshot.map((tensor) => tensor.name)).toEqual([
      'g/dense0/kernel',
      'g/dense0/bias',
      'g/dense1/kernel',
      'g/dense1/bias',
    ]);
    expect(snapshot.map((tensor) => tensor.shape)).toEqual([[2, 3], [3], [3, 2], [2]]);
    snapshot.forEach((tensor, t) =>
      tensor.values.forEach((value, i) => expect(value, `${tensor.name}[${i}]`).toBeCloseTo(expected[t]![i]!, 5)),
    );
    // the average is not simply the last weights, and the network's own weights are untouched
    expect(Array.from(snapshot[0]!.values)).not.toEqual(Array.from(steps[2]![0]!.values));
    expect(networkAfter).toEqual(steps[2]);
  });

  it('gives a snapshot that is a copy: later updates do not change it', () => {
    // arrange
    const network = tinyNetwork();
    const average = createWeightAverage(network, 0.9);
    applySnapshot(
      network,
      weightsOf(network, () => 1),
      'test',
    );
    average.update();
    const first = average.snapshot();
    const copy = first.map((tensor) => Float32Array.from(tensor.values));

    // act
    applySnapshot(
      network,
      weightsOf(network, () => -7),
      'test',
    );
    average.update();
    const second = average.snapshot();
    average.dispose();
    network.dispose();

    // assert
    first.forEach((tensor, t) => expect(tensor.values).toEqual(copy[t]));
    expect(second[0]!.values).not.toEqual(first[0]!.values);
  });

  it('leaves as many tensors alive after updates and dispose as before it was created', () => {
    // arrange
    const network = tinyNetwork();
    const before = tf.memory().numTensors;

    // act
    const average = createWeightAverage(network, 0.99);
    for (let k = 0; k < 3; k++) average.update();
    average.snapshot();
    average.dispose();
    const after = tf.memory().numTensors;
    network.dispose();

    // assert
    expect(after).toBe(before);
  });
});
