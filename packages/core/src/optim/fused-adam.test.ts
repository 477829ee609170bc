import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { expectNoTensorLeak } from '../../test/tensor-leak.js';
import { useWasmBackend } from '../../test/backend.js';
import { createFusedAdam } from './fused-adam.js';

const SHAPES = [[3, 4], [4], [4, 1], [1]] as const;

function makeVariables(prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) =>
    tf.variable(
      tf.tensor(
        Array.from({ length: shape.reduce<number>((a, b) => a * b, 1) }, (_, j) => Math.cos(i * 3.1 + j)),
        [...shape],
      ),
      true,
      `${prefix}/${i}`,
    ),
  );
}

/** Gradients that change with the step, so the moments and the bias correction all matter. */
function gradientsAt(step: number): tf.Tensor[] {
  return SHAPES.map((shape, i) =>
    tf.tensor(
      Array.from(
        { length: shape.reduce<number>((a, b) => a * b, 1) },
        (_, j) => Math.sin(step * 1.3 + i + j * 0.7) * (1 + step),
      ),
      [...shape],
    ),
  );
}

describe('createFusedAdam', () => {
  useWasmBackend();

  it('gives bit-identical weights to tf.train.adam over 15 updates', () => {
    // arrange
    const fusedVariables = makeVariables('fused-adam-test/fused');
    const stockVariables = makeVariables('fused-adam-test/stock');
    const fused = createFusedAdam(fusedVariables, { learningRate: 0.01, beta1: 0.5, beta2: 0.9 });
    const stock = tf.train.adam(0.01, 0.5, 0.9);

    // act
    try {
      for (let step = 0; step < 15; step++) {
        const gradients = gradientsAt(step);
        fused.apply(gradients);
        stock.applyGradients(
          Object.fromEntries(stockVariables.map((v, i) => [v.name, gradients[i]!])) as unknown as Parameters<
            typeof stock.applyGradients
          >[0],
        );
        tf.dispose(gradients);
      }

      // assert
      for (const [i, variable] of fusedVariables.entries()) {
        expect(float32Bits(variable.dataSync() as Float32Array)).toEqual(
          float32Bits(stockVariables[i]!.dataSync() as Float32Array),
        );
      }
      expect(Math.abs((fusedVariables[0]!.dataSync()[0] as number) - Math.cos(0))).toBeGreaterThan(1e-3);
    } finally {
      fused.dispose();
      stock.dispose();
      tf.dispose([...fusedVariables, ...stockVariables]);
    }
  });

  it('continues identically after state() and restore() into a fresh optimizer, without leaking tensors', () => {
    // arrange
    const first = makeVariables('fused-adam-test/first');
    const second = makeVariables('fused-adam-test/second');
    const original = createFusedAdam(first, { learningRate: 0.01, beta1: 0.5, beta2: 0.9 });
    const resumed = createFusedAdam(second, { learningRate: 0.01, beta1: 0.5, beta2: 0.9 });
    const run = (adam: typeof original, from: number, to: number): void => {
      for (let step = from; step < to; step++) {
        const gradients = gradientsAt(step);
        adam.apply(gradients);
        tf.dispose(gradients);
      }
    };

    // act
    try {
      run(original, 0, 7);
      first.forEach((variable, i) => second[i]!.assign(variable));
      resumed.restore(original.state(), 'memory');
      expectNoTensorLeak(() => {
        run(original, 7, 9);
        run(resumed, 7, 9);
      });

      // assert
      for (const [i, variable] of first.entries())
        expect(float32Bits(second[i]!.dataSync() as Float32Array)).toEqual(
          float32Bits(variable.dataSync() as Float32Array),
        );
    } finally {
      original.dispose();
      resumed.dispose();
      tf.dispose([...first, ...second]);
    }
  });

  it('refuses a state without its moments, naming the source', async () => {
    // arrange
    const variables = makeVariables('fused-adam-test/refuse');
    const adam = createFusedAdam(variables, { learningRate: 0.01, beta1: 0.5, beta2: 0.9 });

    // act / assert
    try {
      await expectEmodistillError(
        () =>
          adam.restore(
            adam.state().filter((t) => t.name !== 'v'),
            'run.ckpt',
          ),
        ERROR_CODES.bundleFormat,
        "run.ckpt: optimizer state 'v'",
      );
    } finally {
      adam.dispose();
      tf.dispose(variables);
    }
  });
});
