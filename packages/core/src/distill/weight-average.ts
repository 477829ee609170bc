import * as tf from '@tensorflow/tfjs';
import type { Mlp } from '../models/mlp.js';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { NamedTensor, WeightSnapshot } from '../tensors/named-tensor.js';

const UPDATES_TENSOR = 'updates';

/**
 * An exponential moving average of a network's weights (the generator's "EMA" of GAN practice).
 * Warm-up: update k (from 1) uses decay min(decay, (1 + k)/(10 + k)), as TensorFlow's
 * ExponentialMovingAverage with num_updates, so the random initial weights are forgotten early:
 * from step 0 with a fixed 0.999 they would still weigh 13 % after 2000 steps (DESIGN §3).
 */
export interface WeightAverage {
  /** Folds the network's current weights in. */
  update(): void;
  /** Updates folded in so far. */
  readonly updates: number;
  snapshot(): WeightSnapshot;
  /** The averages and the update count, for a checkpoint (copies). */
  state(): NamedTensor[];
  /** Restores what `state` returned; `source` names the file in errors. */
  restore(tensors: readonly NamedTensor[], source: string): void;
  dispose(): void;
}

/** The decay of update `k` (1-based) under the warm-up. */
export function warmedDecay(decay: number, k: number): number {
  return Math.min(decay, (1 + k) / (10 + k));
}

export function createWeightAverage(network: Mlp, decay: number): WeightAverage {
  // tidy frees the clones' own handles; the variables keep the data.
  const averages = tf.tidy(() => network.variables.map((variable) => tf.variable(variable.clone(), false)));
  let updates = 0;
  return {
    update() {
      updates++;
      const d = warmedDecay(decay, updates);
      tf.tidy(() =>
        averages.forEach((average, i) =>
          average.assign(tf.add(tf.mul(average, d), tf.mul(network.variables[i]!, 1 - d))),
        ),
      );
    },
    get updates() {
      return updates;
    },
    snapshot: () =>
      averages.map((average, i) => ({
        name: network.variableNames[i]!,
        shape: [...average.shape],
        values: Float32Array.from(average.dataSync() as Float32Array),
      })),
    state() {
      return [...this.snapshot(), { name: UPDATES_TENSOR, shape: [], values: Float32Array.of(updates) }];
    },
    restore(tensors, source) {
      const count = tensors.find((t) => t.name === UPDATES_TENSOR);
      if (!count)
        throw new EmodistillError(
          ERROR_CODES.bundleMismatch,
          `${source}: no weight average (tensor "${UPDATES_TENSOR}")`,
        );
      averages.forEach((average, i) => {
        const name = network.variableNames[i]!;
        const tensor = tensors.find((t) => t.name === name);
        if (!tensor || tensor.shape.join() !== average.shape.join())
          throw new EmodistillError(
            ERROR_CODES.bundleMismatch,
            `${source}: weight average "${name}" is missing or of another shape`,
          );
        tf.tidy(() => average.assign(tf.tensor(tensor.values, average.shape)));
      });
      updates = count.values[0]!;
    },
    dispose: () => averages.forEach((average) => average.dispose()),
  };
}
