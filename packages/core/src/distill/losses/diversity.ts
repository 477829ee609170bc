import * as tf from '@tensorflow/tfjs';

/**
 * L_DIV, mode-seeking regularisation (Mao et al., MSGAN 2019): for two noise draws with the same
 * labels, ratio = mean|G(z₁,y) − G(z₂,y)| / mean|z₁ − z₂| and L_DIV = 1 / (ratio + ε).
 * MSGAN's reciprocal form is used instead of −ratio because −ratio is unbounded below: the
 * generator could lower it forever by inflating its outputs.
 * @param fakeA [n, d] @param fakeB [n, d] @param noiseA [n, k] @param noiseB [n, k]
 */
export function diversityLoss(
  fakeA: tf.Tensor2D,
  fakeB: tf.Tensor2D,
  noiseA: tf.Tensor2D,
  noiseB: tf.Tensor2D,
): tf.Scalar {
  if (fakeA.shape.join() !== fakeB.shape.join()) throw new Error(`diversityLoss: [${fakeA.shape}] vs [${fakeB.shape}]`);
  return tf.tidy(() => {
    const ratio = tf.div(tf.mean(tf.abs(tf.sub(fakeA, fakeB))), tf.mean(tf.abs(tf.sub(noiseA, noiseB))));
    return tf.div(1, tf.add(ratio, 1e-5)) as tf.Scalar;
  });
}
