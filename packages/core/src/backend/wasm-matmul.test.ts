import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { trainClassifier } from '../models/mlp-classifier.js';
import { createRng } from '../random/rng.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { selectBackend } from './select-backend.js';
import { ortAvailable } from './ort-gemm.js';
import { setWasmMatmulOverrides } from './wasm-matmul.js';
import { relativeError } from '../../test/fixtures.js';

/** Seeded uniform values in [-1, 1). */
function randomValues(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => 2 * rng.next() - 1);
}

/** Inputs of the loss below, as plain arrays so each backend builds its own tensors. */
const SHAPES = {
  xT: [6, 5], // x stored transposed: [features, batch]
  w1: [6, 8],
  b1: [8],
  w2T: [3, 8], // layer-2 weight stored transposed: [outputs, hidden]
  b2: [3],
  y: [5, 3],
  a3: [2, 4, 6], // a batched (rank-3) product with a transposed right operand
  b3: [2, 7, 6],
  c2: [2, 9], // a short left operand times a wide transposed right one: computed as (d2·c2ᵀ)ᵀ
  d2: [10, 9],
} as const;
type InputName = keyof typeof SHAPES;
const INPUTS: Record<InputName, Float32Array> = Object.fromEntries(
  Object.entries(SHAPES).map(([name, shape], i) => [
    name,
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      100 + i,
    ),
  ]),
) as Record<InputName, Float32Array>;
const DIFFERENTIATED: InputName[] = ['xT', 'w1', 'b1', 'w2T', 'b2', 'a3', 'b3', 'c2', 'd2'];

/**
 * A 2-layer MLP loss whose matmuls take every transposed form a backward pass uses:
 * (true, false) in layer 1, (false, true) in layer 2, a fused matmul with a transposed operand and
 * bias + relu, a rank-3 batched (false, true) product and a (false, true) product whose left
 * operand is much smaller than its right one (the override swaps the operands).
 */
function loss(t: Record<InputName, tf.Tensor>): tf.Scalar {
  const hidden = tf.tanh(tf.add(tf.matMul(t.xT as tf.Tensor2D, t.w1 as tf.Tensor2D, true, false), t.b1));
  const output = tf.add(tf.matMul(hidden, t.w2T as tf.Tensor2D, false, true), t.b2);
  const fused = tf.fused.matMul({
    a: hidden as tf.Tensor2D,
    b: t.w2T as tf.Tensor2D,
    transposeB: true,
    bias: t.b2,
    activation: 'relu',
  });
  const batched = tf.matMul(t.a3 as tf.Tensor3D, t.b3 as tf.Tensor3D, false, true);
  const short = tf.matMul(t.c2 as tf.Tensor2D, t.d2 as tf.Tensor2D, false, true);
  return tf.addN([
    tf.mean(tf.square(tf.sub(output, t.y))),
    tf.mul(tf.mean(fused), 0.5),
    tf.mul(tf.mean(tf.square(batched)), 0.1),
    tf.mul(tf.mean(tf.square(short)), 0.2),
  ]) as tf.Scalar;
}

/** Loss value and gradients w.r.t. DIFFERENTIATED inputs on the active backend, as plain arrays. */
function lossAndGradients(): { value: number; gradients: Float32Array[] } {
  return tf.tidy(() => {
    const tensors = Object.fromEntries(
      Object.entries(SHAPES).map(([name, shape]) => [name, tf.tensor(INPUTS[name as InputName], [...shape])]),
    ) as Record<InputName, tf.Tensor>;
    const f = (...args: tf.Tensor[]): tf.Scalar =>
      loss({ ...tensors, ...Object.fromEntries(DIFFERENTIATED.map((name, i) => [name, args[i]!])) });
    const { value, grads } = tf.valueAndGrads(f)(DIFFERENTIATED.map((name) => tensors[name]));
    return { value: value.dataSync()[0]!, gradients: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

describe('WASM matmul overrides', () => {
  let originalBackend: string;
  let originalKernel: unknown;

  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    originalKernel = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    expect(await selectBackend('wasm', 'wasm')).toBe('wasm');
  });

  afterAll(async () => {
    await tf.setBackend(originalBackend);
  });

  it('are installed by selectBackend("wasm", "wasm") in place of the stock BatchMatMul kernel', () => {
    // arrange / act
    const current = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;

    // assert
    expect(originalKernel).toBeTypeOf('function');
    expect(current).toBeTypeOf('function');
    expect(current).not.toBe(originalKernel);
  });

  it('give the same loss and gradients (incl. transposed, fused and batched matmuls) as the cpu backend within 1e-5', async () => {
    // arrange
    await tf.setBackend('cpu');
    const onCpu = lossAndGradients();
    await tf.setBackend('wasm');

    // act
    let onWasm = { value: Number.NaN, gradients: [] as Float32Array[] };
    expectNoTensorLeak(() => {
      onWasm = lossAndGradients();
    });

    // assert
    expect(tf.getBackend()).toBe('wasm');
    expect(Math.abs(onWasm.value - onCpu.value) / Math.abs(onCpu.value)).toBeLessThan(1e-5);
    DIFFERENTIATED.forEach((name, i) => {
      expect(onWasm.gradients[i]!.length, name).toBe(INPUTS[name].length);
      expect(
        onCpu.gradients[i]!.some((g) => g !== 0),
        `${name} has a non-zero gradient`,
      ).toBe(true);
      expect(relativeError(onWasm.gradients[i]!, onCpu.gradients[i]!), `gradient of ${name}`).toBeLessThan(1e-5);
    });
  });

  it('give the same loss and gradients as the stock WASM kernels within 1e-5, and switch back and forth', () => {
    // arrange
    setWasmMatmulOverrides(false);
    const stock = lossAndGradients();
    const stockKernel = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;

    // act
    setWasmMatmulOverrides(true);
    const overridden = lossAndGradients();

    // assert
    expect(stockKernel).toBe(originalKernel);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(originalKernel);
    expect(Math.abs(overridden.value - stock.value) / Math.abs(stock.value)).toBeLessThan(1e-5);
    DIFFERENTIATED.forEach((name, i) =>
      expect(relativeError(overridden.gradients[i]!, stock.gradients[i]!), `gradient of ${name}`).toBeLessThan(1e-5),
    );
  });

  it('leak neither tensors nor backend buffers', () => {
    // arrange
    const a = tf.tensor2d(randomValues(12, 1), [4, 3]);
    const b = tf.tensor2d(randomValues(20, 2), [5, 4]);

    // act / assert
    try {
      expectNoTensorLeak(() => {
        tf.tidy(() => {
          tf.matMul(a, b, true, true).dataSync();
          tf.fused.matMul({ a, b, transposeA: true, transposeB: true, activation: 'relu' }).dataSync();
        });
      });
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('train a tiny classifier twice without leaking tensors', () => {
    // arrange: 40 rows of 6 random features, 3 classes
    const x = randomValues(40 * 6, 9);
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);

    // act / assert
    expectNoTensorLeak(() => {
      const classifier = trainClassifier(
        { x, labels, dimension: 6, classCount: 3 },
        { epochs: 2, hiddenUnits: [16], batchSize: 16, seed: 1 },
      );
      try {
        const predicted = classifier.predict(x);
        expect(predicted.length).toBe(40);
        expect(predicted.every((p) => p >= 0 && p < 3)).toBe(true);
      } finally {
        classifier.dispose();
      }
    });
  });
});

describe('selectBackend', () => {
  let originalBackend: string;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
  });
  afterAll(async () => {
    await tf.setBackend(originalBackend);
  });

  it.skipIf(!ortAvailable())(
    'routes WASM matmuls through onnxruntime by default when it is installed, and not with --compute wasm',
    async () => {
      // arrange / act
      const byDefault = await selectBackend('wasm');
      const kernelByDefault = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
      const forcedWasm = await selectBackend('wasm', 'wasm');

      // assert
      expect(byDefault).toBe('wasm+onnxruntime');
      expect(await selectBackend('wasm', 'onnxruntime')).toBe('wasm+onnxruntime');
      expect(forcedWasm).toBe('wasm');
      expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(kernelByDefault);
    },
  );

  it('refuses --compute onnxruntime on a backend other than wasm, naming the fix', async () => {
    // arrange / act / assert
    await expectEmodistillError(
      () => selectBackend('cpu', 'onnxruntime'),
      ERROR_CODES.invalidOption,
      '--compute onnxruntime',
      'cpu',
      '--backend wasm',
    );
  });

  it('activates the pure-JS cpu backend on request', async () => {
    // arrange / act
    const name = await selectBackend('cpu');

    // assert
    expect(name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  const nativeInstalled = (() => {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(nativeInstalled)(
    'refuses the native backend when tfjs-node is not installed, saying what to install',
    async () => {
      // arrange / act / assert
      await expectEmodistillError(
        () => selectBackend('tensorflow'),
        ERROR_CODES.invalidOption,
        '"tensorflow"',
        '@tensorflow/tfjs-node',
      );
    },
  );
});
