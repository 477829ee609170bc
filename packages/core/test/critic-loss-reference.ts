import * as tf from '@tensorflow/tfjs';

/**
 * The WGAN-GP critic loss written with tfjs's tape (tf.grad inside the loss, differentiated again
 * by tf.variableGrads): the reference that the training step's hand-derived gradients
 * (src/distill/losses/wgan-gp-gradients.ts) are tested against. Its own tests check it against
 * closed forms (src/distill/losses/wgan-gp.test.ts).
 */

/** The critic as a function of its input (labels bound by the caller): scores [n, 1]. */
export type CriticScoreFn = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * WGAN-GP critic loss, L_D = E[D(fake)] − E[D(real)] + λ·E[(‖∇x̂ D(x̂)‖₂ − 1)²] with
 * x̂ = εx + (1−ε)·fake (Gulrajani et al. 2017). Real and fake rows share one critic pass.
 * @param scoreRealFake critic on [real; fake] stacked, labels bound for both blocks
 * @param scoreInterpolated critic on x̂, labels of the real rows bound
 * @param real [batch, d] @param fake [batch, d] (no gradient to the generator)
 * @param epsilon [batch, 1] uniform in [0, 1]
 * @returns the loss and the Wasserstein estimate E[D(real)] − E[D(fake)] (caller owns both)
 */
export function criticLoss(
  scoreRealFake: CriticScoreFn,
  scoreInterpolated: CriticScoreFn,
  inputs: { real: tf.Tensor2D; fake: tf.Tensor2D; epsilon: tf.Tensor2D },
  gradientPenaltyWeight: number,
): { loss: tf.Scalar; wasserstein: tf.Scalar } {
  const { real, fake, epsilon } = inputs;
  if (real.shape.join() !== fake.shape.join())
    throw new Error(`criticLoss: real [${real.shape}] and fake [${fake.shape}] differ`);
  return tf.tidy(() => {
    const batch = real.shape[0];
    const scores = scoreRealFake(tf.concat([real, fake], 0) as tf.Tensor2D);
    const wasserstein = tf.sub(
      tf.mean(scores.slice([0, 0], [batch, 1])),
      tf.mean(scores.slice([batch, 0], [batch, 1])),
    ) as tf.Scalar;
    const interpolated = tf.add(tf.mul(epsilon, real), tf.mul(tf.sub(1, epsilon), fake)) as tf.Tensor2D;
    // Double backprop: this input gradient is itself differentiated w.r.t. the critic's weights.
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(scoreInterpolated(x as tf.Tensor2D)))(interpolated);
    const gradientNorm = tf.sqrt(tf.add(tf.sum(tf.square(gradient), 1), 1e-12));
    const penalty = tf.mean(tf.square(tf.sub(gradientNorm, 1)));
    return { loss: tf.add(tf.neg(wasserstein), tf.mul(penalty, gradientPenaltyWeight)) as tf.Scalar, wasserstein };
  });
}
