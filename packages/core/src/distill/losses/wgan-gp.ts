import * as tf from '@tensorflow/tfjs';

/** L_adv = −E[D(G(z, y), y)]. @param fakeScores [n, 1] */
export function generatorAdversarialLoss(fakeScores: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(fakeScores)) as tf.Scalar);
}
