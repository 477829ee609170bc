import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Tensors the engine tracks plus data buffers the active backend holds (kernel temporaries included). */
function liveCounts(): { tensors: number; backendData: number } {
  return { tensors: tf.memory().numTensors, backendData: tf.backend().numDataIds() };
}

/**
 * Runs `fn` twice (the first run may create lazily initialised state) and asserts that the second
 * run leaves as many tensors and backend data buffers alive as there were before it.
 */
export function expectNoTensorLeak(fn: () => void): void {
  fn();
  const before = liveCounts();
  fn();
  expect(liveCounts()).toEqual(before);
}
