import * as tf from '@tensorflow/tfjs';

/**
 * L_FM = Σ_c ‖mean φ(x_real, c) − mean φ(G(z, c))‖², over classes present in both batches
 * (Salimans et al. 2016, per class as in the distillation paper).
 * @param realFeatures [n, h] critic penultimate activations of real rows (computed outside the differentiated function, so constants)
 * @param realOneHot [n, C] @param fakeFeatures [m, h] @param fakeOneHot [m, C]
 */
export function featureMatchingLoss(
  realFeatures: tf.Tensor2D,
  realOneHot: tf.Tensor2D,
  fakeFeatures: tf.Tensor2D,
  fakeOneHot: tf.Tensor2D,
): tf.Scalar {
  if (realFeatures.shape[1] !== fakeFeatures.shape[1])
    throw new Error(`featureMatchingLoss: feature widths ${realFeatures.shape[1]} and ${fakeFeatures.shape[1]} differ`);
  return tf.tidy(() => {
    const classMeans = (features: tf.Tensor2D, oneHot: tf.Tensor2D): { means: tf.Tensor2D; present: tf.Tensor1D } => {
      const counts = tf.sum(oneHot, 0); // [C]
      const sums = tf.matMul(oneHot, features, true, false); // [C, h]
      return {
        means: tf.div(sums, tf.maximum(counts, 1).expandDims(1)) as tf.Tensor2D,
        present: tf.cast(tf.greater(counts, 0), 'float32') as tf.Tensor1D,
      };
    };
    const real = classMeans(realFeatures, realOneHot);
    const fake = classMeans(fakeFeatures, fakeOneHot);
    const perClass = tf.sum(tf.square(tf.sub(real.means, fake.means)), 1);
    return tf.sum(tf.mul(perClass, tf.mul(real.present, fake.present))) as tf.Scalar;
  });
}
