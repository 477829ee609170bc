import * as tf from '@tensorflow/tfjs';

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
  if (real.shape.join() !== fake.shape.join()) throw new Error(`criticLoss: real [${real.shape}] and fake [${fake.shape}] differ`);
  return tf.tidy(() => {
    const batch = real.shape[0];
    const scores = scoreRealFake(tf.concat([real, fake], 0) as tf.Tensor2D);
    const wasserstein = tf.sub(tf.mean(scores.slice([0, 0], [batch, 1])), tf.mean(scores.slice([batch, 0], [batch, 1]))) as tf.Scalar;
    const interpolated = tf.add(tf.mul(epsilon, real), tf.mul(tf.sub(1, epsilon), fake)) as tf.Tensor2D;
    // Double backprop: this input gradient is itself differentiated w.r.t. the critic's weights.
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(scoreInterpolated(x as tf.Tensor2D)))(interpolated);
    const gradientNorm = tf.sqrt(tf.add(tf.sum(tf.square(gradient), 1), 1e-12));
    const penalty = tf.mean(tf.square(tf.sub(gradientNorm, 1)));
    return { loss: tf.add(tf.neg(wasserstein), tf.mul(penalty, gradientPenaltyWeight)) as tf.Scalar, wasserstein };
  });
}

/**
 * The critic on [real; fake; x̂] stacked, in one pass: scores [3·batch, 1] and ∂ΣD/∂x of the rows
 * from `gradientRowsFrom` (the x̂ block) on, [batch, d], differentiable again. Labels bound by the caller.
 */
export type CriticPassFn = (stacked: tf.Tensor2D, gradientRowsFrom: number) => { score: tf.Tensor2D; inputGradient: tf.Tensor2D };

/**
 * The same L_D as `criticLoss`, with one critic pass over real, fake and interpolated rows
 * concatenated (fewer, larger kernels: what the training step uses on WASM, DESIGN §7). The
 * critic supplies the input gradient of the interpolated rows itself (models/mlp.ts
 * `applyWithInputGradient`), so no separate pass is needed for the penalty.
 * @param real [batch, d] @param fake [batch, d] (no gradient to the generator) @param epsilon [batch, 1]
 * @returns the loss and the Wasserstein estimate E[D(real)] − E[D(fake)] (caller owns both)
 */
export function criticLossOnePass(
  critic: CriticPassFn,
  inputs: { real: tf.Tensor2D; fake: tf.Tensor2D; epsilon: tf.Tensor2D },
  gradientPenaltyWeight: number,
): { loss: tf.Scalar; wasserstein: tf.Scalar } {
  const { real, fake, epsilon } = inputs;
  if (real.shape.join() !== fake.shape.join()) throw new Error(`criticLossOnePass: real [${real.shape}] and fake [${fake.shape}] differ`);
  return tf.tidy(() => {
    const batch = real.shape[0];
    // x̂ = εx + (1−ε)·fake, as fake + ε·(x − fake): one kernel fewer.
    const interpolated = tf.add(fake, tf.mul(epsilon, tf.sub(real, fake))) as tf.Tensor2D;
    const { score, inputGradient } = critic(tf.concat([real, fake, interpolated], 0) as tf.Tensor2D, 2 * batch);
    const wasserstein = tf.sub(tf.mean(score.slice([0, 0], [batch, 1])), tf.mean(score.slice([batch, 0], [batch, 1]))) as tf.Scalar;
    const gradientNorm = tf.sqrt(tf.add(tf.sum(tf.square(inputGradient), 1), 1e-12));
    const penalty = tf.mean(tf.squaredDifference(gradientNorm, 1));
    return { loss: tf.sub(tf.mul(penalty, gradientPenaltyWeight), wasserstein) as tf.Scalar, wasserstein };
  });
}

/** L_adv = −E[D(G(z, y), y)]. @param fakeScores [n, 1] */
export function generatorAdversarialLoss(fakeScores: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(fakeScores)) as tf.Scalar);
}
