import * as tf from '@tensorflow/tfjs';
import type { Mlp } from '../models/mlp.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';

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
    dispose: () => averages.forEach((average) => average.dispose()),
  };
}
