import * as tf from '@tensorflow/tfjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { NamedTensor } from '../tensors/named-tensor.js';

/**
 * Adam over a fixed list of variables, with the moments of all of them in one flat vector: one
 * update is ~20 kernels whatever the number of variables, where tf.train.adam runs ~12 per
 * variable (DESIGN §7). The arithmetic is tf.train.adam's, operation for operation (ε = 1e-7,
 * β powers kept as running float32 products), so the two give the same weights.
 */
export interface FusedAdam {
  /** One update. @param gradients same order and shapes as the variables (not disposed) */
  apply(gradients: readonly tf.Tensor[]): void;
  /** Moments and β powers, for a checkpoint (copies). */
  state(): NamedTensor[];
  /** Restores what `state` returned; `source` names the file in errors. */
  restore(tensors: readonly NamedTensor[], source: string): void;
  dispose(): void;
}

const EPSILON = 1e-7;

export function createFusedAdam(
  variables: readonly tf.Variable[],
  options: { learningRate: number; beta1: number; beta2: number },
): FusedAdam {
  const { learningRate, beta1, beta2 } = options;
  const sizes = variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  // tidy frees the zeros' own handles; the variables keep the data.
  const [firstMoment, secondMoment] = tf.tidy(() => [
    tf.variable(tf.zeros([total]), false),
    tf.variable(tf.zeros([total]), false),
  ]);
  // The constant factors as tensors made once: a number operand is uploaded as a new scalar tensor on every op.
  const constants = tf.tidy(() => ({
    beta1: tf.keep(tf.scalar(beta1)),
    oneMinusBeta1: tf.keep(tf.scalar(1 - beta1)),
    beta2: tf.keep(tf.scalar(beta2)),
    oneMinusBeta2: tf.keep(tf.scalar(1 - beta2)),
    epsilon: tf.keep(tf.scalar(EPSILON)),
    minusLearningRate: tf.keep(tf.scalar(-learningRate)),
  }));
  // β₁ᵗ and β₂ᵗ as float32 running products, as tf.train.adam keeps them (Math.fround of a product
  // of two float32 values is the float32 product).
  const beta1f = Math.fround(beta1);
  const beta2f = Math.fround(beta2);
  let powers = { beta1: beta1f, beta2: beta2f };
  return {
    apply(gradients) {
      if (gradients.length !== variables.length)
        throw new Error(`FusedAdam: ${gradients.length} gradients for ${variables.length} variables`);
      tf.tidy(() => {
        const gradient = tf.concat(gradients.map((g) => g.reshape([-1])));
        const m = tf.add(tf.mul(firstMoment, constants.beta1), tf.mul(gradient, constants.oneMinusBeta1));
        const v = tf.add(tf.mul(secondMoment, constants.beta2), tf.mul(tf.square(gradient), constants.oneMinusBeta2));
        const mHat = tf.div(m, Math.fround(1 - powers.beta1));
        const vHat = tf.div(v, Math.fround(1 - powers.beta2));
        firstMoment.assign(m);
        secondMoment.assign(v);
        const change = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), constants.epsilon)), constants.minusLearningRate);
        const updated = tf.split(tf.add(change, tf.concat(variables.map((x) => x.reshape([-1])))), sizes);
        variables.forEach((variable, i) => variable.assign(updated[i]!.reshape(variable.shape)));
      });
      powers = { beta1: Math.fround(powers.beta1 * beta1f), beta2: Math.fround(powers.beta2 * beta2f) };
    },
    state() {
      const copy = (name: string, t: tf.Tensor): NamedTensor => ({
        name,
        shape: [...t.shape],
        values: Float32Array.from(t.dataSync() as Float32Array),
      });
      return [
        copy('m', firstMoment),
        copy('v', secondMoment),
        { name: 'beta1Power', shape: [], values: Float32Array.of(powers.beta1) },
        { name: 'beta2Power', shape: [], values: Float32Array.of(powers.beta2) },
      ];
    },
    restore(tensors, source) {
      const find = (name: string, size: number): Float32Array => {
        const found = tensors.find((t) => t.name === name);
        if (!found || found.values.length !== size)
          throw new EmodistillError(
            ERROR_CODES.bundleFormat,
            `${source}: optimizer state '${name}' is missing or does not hold ${size} values`,
          );
        return found.values;
      };
      tf.tidy(() => {
        firstMoment.assign(tf.tensor1d(find('m', total)));
        secondMoment.assign(tf.tensor1d(find('v', total)));
      });
      powers = { beta1: find('beta1Power', 1)[0]!, beta2: find('beta2Power', 1)[0]! };
    },
    dispose() {
      tf.dispose([firstMoment, secondMoment, ...Object.values(constants)]);
    },
  };
}
