import * as tf from '@tensorflow/tfjs';

/**
 * L_SML (softmax-probability matching, after DiM's logit matching): for real and synthetic rows
 * paired by label, mean((log softmax f(x_real) − log softmax f(G(z, y)))²), averaged over a pool
 * of classifiers f trained on the real data.
 * @param realLogits per pool member [n, C] (computed outside the differentiated function, so constants) @param fakeLogits per pool member [n, C]
 */
export function softmaxMatchingLoss(realLogits: readonly tf.Tensor2D[], fakeLogits: readonly tf.Tensor2D[]): tf.Scalar {
  if (realLogits.length !== fakeLogits.length || realLogits.length === 0)
    throw new Error(`softmaxMatchingLoss: ${realLogits.length} real and ${fakeLogits.length} fake logit sets`);
  return tf.tidy(() => {
    const perMember = realLogits.map((real, i) =>
      tf.mean(tf.square(tf.sub(tf.logSoftmax(real), tf.logSoftmax(fakeLogits[i]!)))),
    );
    return tf.div(tf.addN(perMember), perMember.length) as tf.Scalar;
  });
}
