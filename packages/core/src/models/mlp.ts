import * as tf from '@tensorflow/tfjs';

export type Activation = 'relu' | 'leakyRelu' | 'tanh';

export interface MlpOptions {
  readonly inputDimension: number;
  readonly hiddenUnits: readonly number[];
  readonly outputDimension: number;
  readonly activation: Activation;
  readonly seed: number;
  /** Prefix of the variable names, e.g. `classifier`. */
  readonly name: string;
}

/** A plain fully connected network owning its variables (dispose them with `dispose`). */
export interface Mlp {
  readonly variables: readonly tf.Variable[];
  /** Stable names of `variables` (same order), e.g. `generator/dense0/kernel`, used in files. */
  readonly variableNames: readonly string[];
  /**
   * @param x [batch, inputDimension]
   * @returns logits [batch, outputDimension] and the last hidden activations (caller owns both)
   */
  apply(x: tf.Tensor2D, dropoutRate?: number, dropoutSeed?: number): { output: tf.Tensor2D; penultimate: tf.Tensor2D };
  dispose(): void;
}

/**
 * Leaky ReLU (slope 0.2) as 0.6·x + 0.4·|x|: tfjs 4.x has no second-order gradient for
 * tf.leakyRelu, and the gradient penalty differentiates through this activation twice.
 */
function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'leakyRelu':
      return tf.add(tf.mul(x, 0.6), tf.mul(tf.abs(x), 0.4));
  }
}

// tfjs variable names must be unique per process; files use `variableNames` instead.
let instanceCounter = 0;

/** Glorot-uniform weights and zero biases, seeded per layer so runs repeat exactly. */
export function createMlp(options: MlpOptions): Mlp {
  const instance = instanceCounter++;
  const sizes = [options.inputDimension, ...options.hiddenUnits, options.outputDimension];
  const layers = sizes.slice(1).map((units, i) => {
    const fanIn = sizes[i]!;
    const limit = Math.sqrt(6 / (fanIn + units));
    // Variables share the initial tensor's data; tidy frees the initial tensor handles.
    return tf.tidy(() => ({
      weight: tf.variable(tf.randomUniform([fanIn, units], -limit, limit, 'float32', options.seed * 1009 + i), true, `${options.name}/dense${i}/kernel#${instance}`),
      bias: tf.variable(tf.zeros([units]), true, `${options.name}/dense${i}/bias#${instance}`),
    }));
  });
  return {
    variables: layers.flatMap((layer) => [layer.weight, layer.bias]),
    variableNames: layers.flatMap((_, i) => [`${options.name}/dense${i}/kernel`, `${options.name}/dense${i}/bias`]),
    apply(x, dropoutRate = 0, dropoutSeed = 0) {
      return tf.tidy(() => {
        let h: tf.Tensor2D = x;
        let penultimate: tf.Tensor2D = x;
        layers.forEach((layer, i) => {
          const isLast = i === layers.length - 1;
          if (isLast) penultimate = h;
          const z = tf.add(tf.matMul(h, layer.weight as tf.Tensor2D), layer.bias) as tf.Tensor2D;
          h = isLast ? z : activate(z, options.activation);
          if (!isLast && dropoutRate > 0) h = tf.dropout(h, dropoutRate, undefined, dropoutSeed * 31 + i) as tf.Tensor2D;
        });
        return { output: h, penultimate };
      });
    },
    dispose() {
      for (const variable of this.variables) variable.dispose();
    },
  };
}
