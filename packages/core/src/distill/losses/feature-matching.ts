import * as tf from '@tensorflow/tfjs';

/** Per-class means of feature rows, and which classes have any row. */
export interface ClassMeans {
  /** [C, h] */
  readonly means: tf.Tensor2D;
  /** [C]: 1 where the class has rows, else 0. */
  readonly present: tf.Tensor1D;
}

/** Per-class means of `features` [n, h] under one-hot labels [n, C]. */
export function classMeans(features: tf.Tensor2D, oneHot: tf.Tensor2D): ClassMeans {
  return tf.tidy(() => {
    const counts = tf.sum(oneHot, 0); // [C]
    const sums = tf.matMul(oneHot, features, true, false); // [C, h]
    return {
      means: tf.div(sums, tf.maximum(counts, 1).expandDims(1)) as tf.Tensor2D,
      present: tf.cast(tf.greater(counts, 0), 'float32') as tf.Tensor1D,
    };
  });
}

/** Each row of `features` [n, h] scaled down to L2 norm `clipNorm` where it is longer. */
export function clipRows(features: tf.Tensor2D, clipNorm: number): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.norm(features, 2, 1, true); // [n, 1]
    return tf.mul(features, tf.minimum(1, tf.div(clipNorm, tf.maximum(norms, 1e-12)))) as tf.Tensor2D;
  });
}

/**
 * Per-class means of real rows' critic features released by the Gaussian mechanism, for L_FM
 * under DP-SGD. Each row's feature vector is clipped to L2 norm `clipNorm`, and the row also adds
 * `clipNorm` to its class's count, so adding or removing one row moves the stacked [sums; clipNorm ×
 * counts] by at most √2 · clipNorm; Gaussian noise of std noiseMultiplier · √2 · clipNorm on every
 * entry makes it the subsampled Gaussian the accountant counts (one private step per call). A
 * class is present where its noisy count reaches one row. The means are post-processing.
 * @param features [n, h] (n may be 0: an empty Poisson batch still releases noise)
 * @param oneHot [n, C]
 */
export function privateClassMeans(
  features: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  classCount: number,
  privacy: { readonly clipNorm: number; readonly noiseMultiplier: number; readonly seed: number },
): ClassMeans {
  return tf.tidy(() => {
    const width = features.shape[1];
    const noiseStd = privacy.noiseMultiplier * Math.SQRT2 * privacy.clipNorm;
    const rows = features.shape[0];
    let sums: tf.Tensor2D = tf.zeros([classCount, width]);
    let counts: tf.Tensor1D = tf.zeros([classCount]);
    if (rows > 0) {
      sums = tf.matMul(oneHot, clipRows(features, privacy.clipNorm), true, false);
      counts = tf.sum(oneHot, 0);
    }
    if (noiseStd > 0) {
      sums = tf.add(sums, tf.randomNormal([classCount, width], 0, noiseStd, 'float32', privacy.seed));
      // The count travels scaled by clipNorm (its share of the sensitivity), its noise likewise.
      counts = tf.add(
        counts,
        tf.div(tf.randomNormal([classCount], 0, noiseStd, 'float32', privacy.seed + 1), privacy.clipNorm),
      );
    }
    return {
      means: tf.div(sums, tf.maximum(counts, 1).expandDims(1)) as tf.Tensor2D,
      present: tf.cast(tf.greaterEqual(counts, 1), 'float32') as tf.Tensor1D,
    };
  });
}

/**
 * L_FM = Σ_c ‖real mean φ_c − mean φ(G(z, c))‖², over classes present on both sides (Salimans et
 * al. 2016, per class as in the distillation paper). `real` is a constant (computed outside the
 * differentiated function).
 */
export function featureMatchingToMeans(
  real: ClassMeans,
  fakeFeatures: tf.Tensor2D,
  fakeOneHot: tf.Tensor2D,
): tf.Scalar {
  if (real.means.shape[1] !== fakeFeatures.shape[1])
    throw new Error(`featureMatchingLoss: feature widths ${real.means.shape[1]} and ${fakeFeatures.shape[1]} differ`);
  return tf.tidy(() => {
    const fake = classMeans(fakeFeatures, fakeOneHot);
    const perClass = tf.sum(tf.square(tf.sub(real.means, fake.means)), 1);
    return tf.sum(tf.mul(perClass, tf.mul(real.present, fake.present))) as tf.Scalar;
  });
}

/**
 * L_FM from real rows' features: see featureMatchingToMeans.
 * @param realFeatures [n, h] critic penultimate activations of real rows (computed outside the differentiated function, so constants)
 * @param realOneHot [n, C] @param fakeFeatures [m, h] @param fakeOneHot [m, C]
 */
export function featureMatchingLoss(
  realFeatures: tf.Tensor2D,
  realOneHot: tf.Tensor2D,
  fakeFeatures: tf.Tensor2D,
  fakeOneHot: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => featureMatchingToMeans(classMeans(realFeatures, realOneHot), fakeFeatures, fakeOneHot));
}
