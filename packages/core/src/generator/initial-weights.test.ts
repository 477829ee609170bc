import { describe, expect, it } from 'vitest';
import { createGeneratorNetwork } from '../distill/networks.js';
import { initialGeneratorWeights } from './initial-weights.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';

describe('initialGeneratorWeights', () => {
  it('has the generator network layout, Glorot bounds and zero biases, and repeats per seed', () => {
    // arrange
    const architecture = { noiseDimension: 8, hiddenUnits: [16, 12], classCount: 3, outputDimension: 5 };
    const network = createGeneratorNetwork(
      { dimension: 5, classCount: 3 },
      { noiseDimension: 8, hiddenUnits: [16, 12], seed: 0 },
    );

    // act
    const weights = initialGeneratorWeights(architecture, 7);
    applySnapshot(network, weights, 'initial weights');
    const roundTrip = toSnapshot(network);
    network.dispose();

    // assert
    expect(weights.map((t) => [t.name, t.shape])).toEqual(roundTrip.map((t) => [t.name, t.shape]));
    expect(Math.max(...weights[0]!.values.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (11 + 16)));
    expect(weights[1]!.values.every((v) => v === 0)).toBe(true);
    expect(initialGeneratorWeights(architecture, 7)[2]!.values).toEqual(weights[2]!.values);
    expect(initialGeneratorWeights(architecture, 8)[2]!.values).not.toEqual(weights[2]!.values);
  });
});
