import * as tf from '@tensorflow/tfjs';

/** A leaky-ReLU MLP critic with one output, as its weights: kernels [in, out] and biases [out], layer by layer. */
export interface LeakyReluCritic {
  readonly kernels: readonly tf.Tensor2D[];
  readonly biases: readonly tf.Tensor1D[];
  /** Slope for negative inputs. */
  readonly negativeSlope: number;
}

export interface CriticStepOptions {
  /** Rows in each block of the stacked input [real; fake; x̂]. */
  readonly batch: number;
  /** The penalty's input columns (the features; the labels are held fixed). */
  readonly gradientColumns: number;
  /** λ_GP */
  readonly gradientPenaltyWeight: number;
  /**
   * What the summed terms are divided by (default `batch`). DP-SGD with Poisson batches divides by
   * the expected batch size instead, so that a batch's actual size is not revealed.
   */
  readonly normaliser?: number;
  /**
   * DP-SGD's per-example clipping: each example's whole contribution to the gradient of every
   * weight (its real row, its fake row and its interpolate x̂, which mixes the real row in) is
   * scaled to an L2 norm of at most this, measured before the division by `normaliser`.
   */
  readonly clipNorm?: number;
}

export interface CriticLossGradients {
  readonly loss: tf.Scalar;
  /** E[D(real)] − E[D(fake)] */
  readonly wasserstein: tf.Scalar;
  /** ∂L_D/∂kernel and ∂L_D/∂bias per layer (caller owns all). */
  readonly kernelGradients: tf.Tensor2D[];
  readonly biasGradients: tf.Tensor1D[];
  /** With `clipNorm`: each example's gradient norm before clipping [batch] (caller owns). */
  readonly exampleNorms?: tf.Tensor1D;
}

/**
 * The WGAN-GP critic loss (test/critic-loss-reference.ts, on [real; fake; x̂] in one pass) and its
 * gradients w.r.t. every weight, derived by hand instead of by tfjs's tape (DESIGN §7: a critic
 * update through the tape was ~250 small kernels, this is ~50).
 * For a leaky-ReLU MLP the slope of each unit is constant almost everywhere, so with slopes sᵢ,
 * uᵢ = ∂D/∂zᵢ on the x̂ rows is s_{L−2} ⊙ W_{L−1}ᵀ, then uᵢ₋₁ = sᵢ₋₁ ⊙ (uᵢ·Wᵢᵀ), and ∇ₓD = u₀·W₀ᵀ.
 * The penalty's weight gradients are the backward pass of that chain (no bias terms: the slopes'
 * derivatives are zero); the Wasserstein term's are ordinary backprop on the real and fake rows,
 * which shares its products with the chain (one backward pass over all rows, one product per kernel).
 * Every weight gradient is a sum over rows of (row input) ⊗ (row upstream), so an example's norm
 * follows from Gram products of its three rows without forming its gradient (ghost clipping, Li et
 * al. 2022), and clipping is a scaling of those rows.
 * @param stacked [real; fake; x̂] with labels concatenated, [3·batch, in]
 */
export function criticLossAndGradients(
  critic: LeakyReluCritic,
  stacked: tf.Tensor2D,
  options: CriticStepOptions,
): CriticLossGradients {
  const { batch, gradientColumns, gradientPenaltyWeight, clipNorm } = options;
  const normaliser = options.normaliser ?? batch;
  const { kernels, biases, negativeSlope } = critic;
  const layers = kernels.length;
  if (layers < 2 || kernels[layers - 1]!.shape[1] !== 1)
    throw new Error(
      `criticLossAndGradients: expected ≥ 2 layers and one output, got ${kernels.map((k) => `[${k.shape}]`).join(' ')}`,
    );
  if (stacked.shape[0] !== 3 * batch)
    throw new Error(`criticLossAndGradients: ${stacked.shape[0]} rows, expected 3 × ${batch}`);
  return tf.tidy(() => {
    const realFake = 2 * batch;
    // activations[k] is layer k's input; slopes[k] the slope of layer k's activation (k < layers − 1).
    const activations: tf.Tensor2D[] = [stacked];
    let score = stacked;
    kernels.forEach((kernel, k) => {
      const hidden = k < layers - 1;
      score = tf.fused.matMul({
        a: score,
        b: kernel,
        bias: biases[k],
        activation: hidden ? 'leakyrelu' : 'linear',
        leakyreluAlpha: negativeSlope,
      }) as tf.Tensor2D;
      if (hidden) activations.push(score);
    });
    // y > 0 exactly where the pre-activation is, so step(y) is the activation's slope.
    const slopes = activations.slice(1).map((a) => tf.step(a, negativeSlope) as tf.Tensor2D);
    const rows = (t: tf.Tensor2D, from: number, count: number): tf.Tensor2D => t.slice([from, 0], [count, -1]);

    // One backward pass over all rows from the seed ∂/∂D = ∓1/batch on the real and fake rows (the
    // Wasserstein term) and 1 on the x̂ rows (ΣD, whose input gradient the penalty needs):
    // upstream[k] = ∂(Σ seed·D)/∂z_k; its x̂ rows are the penalty's chain uₖ.
    const seed = tf.tensor2d(
      Float32Array.from({ length: 3 * batch }, (_, i) =>
        i < batch ? -1 / normaliser : i < realFake ? 1 / normaliser : 1,
      ),
      [3 * batch, 1],
    );
    const upstream: tf.Tensor2D[] = [];
    upstream[layers - 1] = seed;
    for (let k = layers - 1; k >= 1; k--) {
      const back =
        k === layers - 1
          ? tf.mul(seed, kernels[k]!.reshape([1, -1]))
          : tf.matMul(upstream[k]!, kernels[k]!, false, true);
      upstream[k - 1] = tf.mul(back, slopes[k - 1]!);
    }
    const columnMask = tf.tensor2d(
      Float32Array.from({ length: stacked.shape[1] }, (_, c) => (c < gradientColumns ? 1 : 0)),
      [1, stacked.shape[1]],
    );
    const inputGradient = tf.mul(tf.matMul(rows(upstream[0]!, realFake, batch), kernels[0]!, false, true), columnMask);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(inputGradient), 1, true), 1e-12));
    const penalty = tf.div(tf.sum(tf.squaredDifference(norm, 1)), normaliser);

    // The penalty's backward pass: ∂(λ·mean((‖g‖ − 1)²))/∂g = (2λ/batch)·(‖g‖ − 1)/‖g‖ · g, then
    // back down the chain; penaltyInputs[k] is what multiplies layer k's chain in its weight gradient.
    const penaltyInputs: tf.Tensor2D[] = [
      tf.mul(inputGradient, tf.mul(tf.div(tf.sub(norm, 1), norm), (2 * gradientPenaltyWeight) / normaliser)),
    ];
    let down = tf.matMul(penaltyInputs[0]!, kernels[0]!);
    for (let k = 0; k < layers - 1; k++) {
      penaltyInputs.push(tf.mul(down, rows(slopes[k]!, realFake, batch)));
      if (k < layers - 2) down = tf.matMul(penaltyInputs[k + 1]!, kernels[k + 1]!);
    }

    // Each kernel's gradient is one product over all rows: the real and fake rows' inputs (the
    // Wasserstein term) stacked on the penalty's, times upstream. Biases get the Wasserstein term
    // only: upstreamᵀ times a column of ones on the real and fake rows. (Column products: the WASM
    // backend's Sum over rows transposes its input first, and its matmul repacks a new right operand.)
    const layerInputs = kernels.map((_, k) => tf.concat([rows(activations[k]!, 0, realFake), penaltyInputs[k]!], 0));
    const exampleNorms =
      clipNorm === undefined
        ? undefined
        : tf.mul(tf.sqrt(exampleNormsSquared(layerInputs, upstream, batch)), normaliser);
    // Per row: 1 (or the example's clipping factor) where the row enters the gradient.
    const scale = exampleNorms
      ? (tf.minimum(tf.div(clipNorm!, tf.maximum(exampleNorms, 1e-12)), 1).reshape([batch, 1]) as tf.Tensor2D)
      : undefined;
    const rowScale = scale ? (tf.concat([scale, scale, scale], 0) as tf.Tensor2D) : undefined;
    const realFakeColumn = scale
      ? tf.concat([scale, scale, tf.zeros([batch, 1])], 0)
      : tf.tensor2d(
          Float32Array.from({ length: 3 * batch }, (_, i) => (i < realFake ? 1 : 0)),
          [3 * batch, 1],
        );
    const kernelGradients = layerInputs.map((inputs, k): tf.Tensor2D =>
      tf.matMul(rowScale ? tf.mul(inputs, rowScale) : inputs, upstream[k]!, true, false),
    );
    const biasGradients = upstream.map((u) => tf.matMul(u, realFakeColumn, true, false).reshape([-1]) as tf.Tensor1D);
    const wasserstein = tf.neg(tf.sum(tf.mul(rows(score, 0, realFake), rows(seed, 0, realFake)))) as tf.Scalar;
    return {
      loss: tf.sub(tf.mul(penalty, gradientPenaltyWeight), wasserstein) as tf.Scalar,
      wasserstein,
      kernelGradients,
      biasGradients,
      ...(exampleNorms && { exampleNorms: exampleNorms as tf.Tensor1D }),
    };
  });
}

/**
 * ‖∂L/∂θ‖² of each example (rows i, batch + i, 2·batch + i of every layer's inputs A and upstream
 * U), summed over layers: a kernel's per-example gradient Σ_r a_r ⊗ u_r has squared norm
 * Σ_{r,s} (a_r·a_s)(u_r·u_s); a bias's is ‖u_real + u_fake‖² (the penalty has no bias terms).
 */
function exampleNormsSquared(
  layerInputs: readonly tf.Tensor2D[],
  upstream: readonly tf.Tensor2D[],
  batch: number,
): tf.Tensor {
  const blocks = (t: tf.Tensor2D): tf.Tensor2D[] => [0, 1, 2].map((r) => t.slice([r * batch, 0], [batch, -1]));
  const dot = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor => tf.sum(tf.mul(a, b), 1);
  const perLayer = layerInputs.map((inputs, k) => {
    const a = blocks(inputs);
    const u = blocks(upstream[k]!);
    const pairs: [number, number][] = [
      [0, 1],
      [0, 2],
      [1, 2],
    ];
    const diagonal = [0, 1, 2].map((r) => tf.mul(dot(a[r]!, a[r]!), dot(u[r]!, u[r]!)));
    const offDiagonal = pairs.map(([r, s]) => tf.mul(dot(a[r]!, a[s]!), dot(u[r]!, u[s]!)));
    const bias = tf.add(tf.add(dot(u[0]!, u[0]!), dot(u[1]!, u[1]!)), tf.mul(dot(u[0]!, u[1]!), 2));
    return tf.addN([...diagonal, tf.mul(tf.addN(offDiagonal), 2), bias]);
  });
  return tf.addN(perLayer);
}
