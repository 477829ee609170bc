import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { ortAvailable } from './ort-gemm.js';
import { selectBackend } from './select-backend.js';
import { setWasmMatmulOverrides } from './wasm-matmul.js';
import { relativeError } from '../../test/fixtures.js';

/** Seeded tensor with values uniform in [-1, 1). */
function seeded(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1),
    shape,
  );
}

/** Loss and gradients of products large enough for the ORT path, in every transposed form, fused with bias and ReLU or leaky ReLU. */
function lossAndGradients(): Float32Array[] {
  return tf.tidy(() => {
    const inputs = [
      seeded([48, 64], 1),
      seeded([64, 80], 2),
      seeded([80], 3),
      seeded([96, 80], 4),
      seeded([48, 96], 5),
    ];
    const f = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2T: tf.Tensor, y: tf.Tensor): tf.Scalar => {
      const hidden = tf.fused.matMul({ a: x as tf.Tensor2D, b: w1 as tf.Tensor2D, bias: b1, activation: 'relu' });
      const output = tf.matMul(hidden, w2T as tf.Tensor2D, false, true);
      const gram = tf.matMul(x as tf.Tensor2D, x as tf.Tensor2D, true, false);
      const leaky = tf.fused.matMul({
        a: x as tf.Tensor2D,
        b: w1 as tf.Tensor2D,
        bias: b1,
        activation: 'leakyrelu',
        leakyreluAlpha: 0.2,
      });
      return tf.addN([
        tf.mean(tf.square(tf.sub(output, y))),
        tf.mean(tf.square(gram)),
        tf.mean(tf.square(leaky)),
      ]) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    return [value.dataSync() as Float32Array, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

describe.skipIf(!ortAvailable())('WASM matmul through onnxruntime GEMM (optional onnxruntime-node)', () => {
  let originalBackend: string;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    expect(await selectBackend('wasm')).toMatch(/^wasm/);
  });
  afterAll(async () => {
    setWasmMatmulOverrides(true);
    await tf.setBackend(originalBackend);
  });

  it('gives the loss and gradients of the stock WASM kernels within 1e-5 relative, without leaks', () => {
    // arrange
    setWasmMatmulOverrides(false);
    const stock = lossAndGradients();
    let viaOrt: Float32Array[] = [];

    // act
    expect(setWasmMatmulOverrides('ort')).toBe(true);
    expectNoTensorLeak(() => {
      viaOrt = lossAndGradients();
    });

    // assert
    expect(viaOrt).toHaveLength(6);
    for (const [i, expected] of stock.entries()) expect(relativeError(viaOrt[i]!, expected)).toBeLessThan(1e-5);
  });
});
