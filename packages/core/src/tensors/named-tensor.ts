/** One named float32 tensor outside tfjs: what crosses files, networks and package boundaries. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** A model's weights as plain typed arrays, in a fixed order. */
export type WeightSnapshot = readonly NamedTensor[];
