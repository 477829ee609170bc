import * as tf from '@tensorflow/tfjs';

/**
 * L_SPK (speaker invariance): how far a speaker probe's posterior over the member speakers is from
 * uniform on synthetic rows, mean over rows of KL(p ‖ uniform) = log K − H(p). 0 when no member is
 * preferred; log K when every sample is confidently one member's voice. The probe is trained on the
 * real members' rows and never leaves the site.
 * @param probeLogits the probe's logits on synthetic rows [n, K]
 */
export function speakerInvarianceLoss(probeLogits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const speakers = probeLogits.shape[1];
    const logProbabilities = tf.logSoftmax(probeLogits);
    const negativeEntropy = tf.sum(tf.mul(tf.exp(logProbabilities), logProbabilities), 1);
    return tf.add(tf.mean(negativeEntropy), Math.log(speakers)) as tf.Scalar;
  });
}
