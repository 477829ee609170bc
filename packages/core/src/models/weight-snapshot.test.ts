import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { createMlp, type Mlp } from './mlp.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { applySnapshot, toSnapshot } from './weight-snapshot.js';
import { useWasmBackend } from '../../test/backend.js';

const mlp = (seed: number, hiddenUnits: number[] = [4]): Mlp =>
  createMlp({ inputDimension: 3, hiddenUnits, outputDimension: 2, activation: 'leakyRelu', seed, name: 'net' });

describe('toSnapshot / applySnapshot', () => {
  useWasmBackend();

  it('copies weights out under stable names and shapes, and back into another network bit for bit', () => {
    // arrange
    const source = mlp(1);
    const target = mlp(2);
    let snapshot: ReturnType<typeof toSnapshot> = [];
    let copied: ReturnType<typeof toSnapshot> = [];

    // act
    try {
      expectNoTensorLeak(() => {
        snapshot = toSnapshot(source);
        applySnapshot(target, snapshot, 'test');
        copied = toSnapshot(target);
      });
    } finally {
      source.dispose();
      target.dispose();
    }

    // assert
    expect(snapshot.map((t) => t.name)).toEqual([
      'net/dense0/kernel',
      'net/dense0/bias',
      'net/dense1/kernel',
      'net/dense1/bias',
    ]);
    expect(snapshot.map((t) => t.shape)).toEqual([[3, 4], [4], [4, 2], [2]]);
    copied.forEach((t, i) => expect(float32Bits(t.values), t.name).toEqual(float32Bits(snapshot[i]!.values)));
    expect(snapshot[0]!.values.some((v) => v !== 0)).toBe(true);
  });

  it('is a copy: changing the network afterwards does not change the snapshot', () => {
    // arrange
    const network = mlp(3);
    const snapshot = toSnapshot(network);
    const before = Float32Array.from(snapshot[0]!.values);

    // act
    try {
      tf.tidy(() => network.variables[0]!.assign(tf.zerosLike(network.variables[0]!)));
    } finally {
      network.dispose();
    }

    // assert
    expect(float32Bits(snapshot[0]!.values)).toEqual(float32Bits(before));
  });

  it('refuses a snapshot missing a tensor, naming it and the source', async () => {
    // arrange
    const network = mlp(4);
    const snapshot = toSnapshot(network).filter((t) => t.name !== 'net/dense1/bias');

    // act / assert
    try {
      await expectEmodistillError(
        () => applySnapshot(network, snapshot, 'weights.safetensors'),
        ERROR_CODES.bundleMismatch,
        'weights.safetensors',
        'net/dense1/bias',
      );
    } finally {
      network.dispose();
    }
  });

  it('refuses a tensor of another shape, giving both shapes', async () => {
    // arrange
    const network = mlp(5);
    const wider = mlp(6, [5]);
    const snapshot = toSnapshot(wider);
    wider.dispose();

    // act / assert
    try {
      await expectEmodistillError(
        () => applySnapshot(network, snapshot, 'wide.safetensors'),
        ERROR_CODES.bundleMismatch,
        'net/dense0/kernel',
        '[3, 5]',
        '[3, 4]',
      );
    } finally {
      network.dispose();
    }
  });
});
