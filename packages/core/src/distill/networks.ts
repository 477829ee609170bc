import * as tf from '@tensorflow/tfjs';
import { createMlp, type Mlp } from '../models/mlp.js';
import type { DistillConfig } from '../generator/distill-config.js';

/** Conditional generator G(z, y) and critic D(x, y); conditioning by concatenating the one-hot label. */
export interface DistillNetworks {
  readonly generator: Mlp;
  readonly critic: Mlp;
  /** @returns G(z, y) [n, d] in standardised feature space (caller owns it) */
  generate(noise: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor2D;
  /** @returns D(x, y) scores [n, 1] and penultimate activations φ [n, h] (caller owns both) */
  criticize(x: tf.Tensor2D, oneHot: tf.Tensor2D): { score: tf.Tensor2D; features: tf.Tensor2D };
  dispose(): void;
}

export interface NetworkShape {
  readonly dimension: number;
  readonly classCount: number;
}

/** Builds G and D with seeded initialisation (leaky ReLU: the critic is differentiated twice). */
export function createDistillNetworks(
  shape: NetworkShape,
  config: Pick<DistillConfig, 'noiseDimension' | 'hiddenUnits' | 'seed'>,
): DistillNetworks {
  const generator = createGeneratorNetwork(shape, config);
  const critic = createMlp({
    inputDimension: shape.dimension + shape.classCount,
    hiddenUnits: config.hiddenUnits,
    outputDimension: 1,
    activation: 'leakyRelu',
    seed: config.seed * 2 + 1,
    name: 'critic',
  });
  return {
    generator,
    critic,
    generate: (noise, oneHot) => tf.tidy(() => generator.apply(tf.concat([noise, oneHot], 1) as tf.Tensor2D).output),
    criticize: (x, oneHot) =>
      tf.tidy(() => {
        const { output, penultimate } = critic.apply(tf.concat([x, oneHot], 1) as tf.Tensor2D);
        return { score: output, features: penultimate };
      }),
    dispose() {
      generator.dispose();
      critic.dispose();
    },
  };
}

/** The generator alone: what a bundle stores and what sampling needs. */
export function createGeneratorNetwork(
  shape: NetworkShape,
  config: Pick<DistillConfig, 'noiseDimension' | 'hiddenUnits' | 'seed'>,
): Mlp {
  return createMlp({
    inputDimension: config.noiseDimension + shape.classCount,
    hiddenUnits: config.hiddenUnits,
    outputDimension: shape.dimension,
    activation: 'leakyRelu',
    seed: config.seed * 2,
    name: 'generator',
  });
}
