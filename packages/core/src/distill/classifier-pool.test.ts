import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.js';
import { toSnapshot } from '../models/weight-snapshot.js';
import { float32Bits } from '../../test/fixtures.js';
import { createClassifierPool } from './classifier-pool.js';
import { useWasmBackend } from '../../test/backend.js';

/** 30 standardised-looking rows of 4 dims, 3 classes. */
function makeData(): { x: Float32Array; labels: Int32Array; dimension: number; classCount: number } {
  const rng = createRng(8);
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
  const x = Float32Array.from({ length: 30 * 4 }, (_, i) => labels[Math.floor(i / 4)]! - 1 + 0.3 * (rng.next() - 0.5));
  return { x, labels, dimension: 4, classCount: 3 };
}

describe('createClassifierPool', () => {
  useWasmBackend();

  it('trains one member per seed, of differing widths, and refreshes a member in place with a new seed', () => {
    // arrange
    const before = tf.memory().numTensors;
    const pool = createClassifierPool(makeData(), { memberSeeds: [1, 2], epochs: 1, maxSteps: 600 });
    const kernelShapes = pool.members.map((member) => toSnapshot(member.network)[0]!.shape);
    const secondBefore = float32Bits(toSnapshot(pool.members[1]!.network)[0]!.values);
    const firstBefore = float32Bits(toSnapshot(pool.members[0]!.network)[0]!.values);

    // act
    pool.refresh(1, 99);
    const secondAfter = float32Bits(toSnapshot(pool.members[1]!.network)[0]!.values);
    const firstAfter = float32Bits(toSnapshot(pool.members[0]!.network)[0]!.values);
    const widthAfter = toSnapshot(pool.members[1]!.network)[0]!.shape;
    pool.dispose();

    // assert
    expect(kernelShapes).toEqual([
      [4, 256],
      [4, 128],
    ]);
    expect(widthAfter).toEqual([4, 128]);
    expect(secondAfter).not.toEqual(secondBefore);
    expect(firstAfter).toEqual(firstBefore);
    expect(tf.memory().numTensors).toBe(before);
  });
});
