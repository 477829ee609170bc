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

/** Slope of the leaky ReLU for negative inputs. */
export const LEAKY_SLOPE = 0.2;

function activate(x: tf.Tensor2D, activation: Exclude<Activation, 'leakyRelu'>): tf.Tensor2D {
  return activation === 'relu' ? tf.relu(x) : tf.tanh(x);
}

/**
 * tfjs's custom-op entry point. Unlike tf.customGrad, it takes one lazily called gradient function
 * per input, so a backward pass computes only the gradients it needs (the generator update needs
 * the critic's ∂/∂x, not its ∂/∂kernel). Public on the Engine class, absent from its typings.
 */
interface CustomKernelEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: tf.NamedTensorMap;
  }): tf.Tensor;
}
const customKernel = (): CustomKernelEngine => tf.engine() as unknown as CustomKernelEngine;

/**
 * x·kernel + bias, then leaky ReLU (`leakySlope`) or nothing (`undefined`), as one op: the
 * forward pass is one _FusedMatMul kernel (bias and activation fused) where it was a matmul, an add
 * and an activation. The backward pass multiplies by the activation's slope, saved in the
 * forward pass.
 * @param x [n, in] @param kernel [in, out] @param bias [out] @returns [n, out] (caller owns it)
 */
function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, leakySlope: number | undefined): tf.Tensor2D {
  return customKernel().runKernelFunc({
    forwardFunc: (_backend, save) => {
      // The kernel itself: under a gradient tape tf.fused.matMul would split off bias and activation again.
      const [n, inputs] = x.shape;
      const units = kernel.shape[1];
      const attrs = {
        transposeA: false,
        transposeB: false,
        activation: leakySlope === undefined ? 'linear' : 'leakyrelu',
        leakyreluAlpha: leakySlope ?? 0,
      };
      const y = tf.reshape(
        tf
          .engine()
          .runKernel<tf.Tensor>(
            '_FusedMatMul',
            { a: tf.reshape(x, [1, n, inputs]), b: tf.reshape(kernel, [1, inputs, units]), bias },
            attrs,
          ),
        [n, units],
      ) as tf.Tensor2D;
      // step(y) is 1 where y > 0 and leakySlope elsewhere: the activation's slope, since y > 0 exactly where x·kernel + bias > 0.
      save(leakySlope === undefined ? [x, kernel] : [x, kernel, tf.step(y, leakySlope)]);
      return y;
    },
    backwardsFunc: (dy, saved) => {
      const [input, weights, slope] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
      const dz = slope ? tf.mul(dy, slope) : dy;
      // The bias gradient as dzᵀ·1: the WASM backend's Sum over rows transposes its input first.
      return {
        x: () => tf.matMul(dz, weights, false, true),
        kernel: () => tf.matMul(input, dz, true, false),
        bias: () => tf.matMul(dz, tf.ones([dz.shape[0], 1]), true, false).reshape([-1]),
      };
    },
    inputs: { x, kernel, bias },
  }) as tf.Tensor2D;
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
      weight: tf.variable(
        tf.randomUniform([fanIn, units], -limit, limit, 'float32', options.seed * 1009 + i),
        true,
        `${options.name}/dense${i}/kernel#${instance}`,
      ),
      bias: tf.variable(tf.zeros([units]), true, `${options.name}/dense${i}/bias#${instance}`),
    }));
  });
  /** Output and every hidden layer's activations (inside the caller's tidy). */
  const forward = (
    x: tf.Tensor2D,
    dropoutRate: number,
    dropoutSeed: number,
  ): { output: tf.Tensor2D; hidden: tf.Tensor2D[] } => {
    let h: tf.Tensor2D = x;
    const hidden: tf.Tensor2D[] = [];
    layers.forEach((layer, i) => {
      const isLast = i === layers.length - 1;
      const weight = layer.weight as tf.Tensor2D;
      const bias = layer.bias as tf.Tensor1D;
      if (options.activation === 'leakyRelu') h = dense(h, weight, bias, isLast ? undefined : LEAKY_SLOPE);
      else {
        const z = tf.add(tf.matMul(h, weight), bias) as tf.Tensor2D;
        h = isLast ? z : activate(z, options.activation);
      }
      if (!isLast && dropoutRate > 0) h = tf.dropout(h, dropoutRate, undefined, dropoutSeed * 31 + i) as tf.Tensor2D;
      if (!isLast) hidden.push(h);
    });
    return { output: h, hidden };
  };
  return {
    variables: layers.flatMap((layer) => [layer.weight, layer.bias]),
    variableNames: layers.flatMap((_, i) => [`${options.name}/dense${i}/kernel`, `${options.name}/dense${i}/bias`]),
    apply(x, dropoutRate = 0, dropoutSeed = 0) {
      return tf.tidy(() => {
        const { output, hidden } = forward(x, dropoutRate, dropoutSeed);
        return { output, penultimate: hidden[hidden.length - 1] ?? x };
      });
    },
    dispose() {
      for (const variable of this.variables) variable.dispose();
    },
  };
}
