import { createRng, type Rng } from '../random/rng.js';
import type { NamedTensor, WeightSnapshot } from '../tensors/named-tensor.js';

export interface GeneratorArchitecture {
  readonly noiseDimension: number;
  readonly hiddenUnits: readonly number[];
  readonly classCount: number;
  readonly outputDimension: number;
}

/** Glorot-uniform kernels and zero biases of a dense stack with layer sizes `sizes`, named `name/dense{i}/…`. */
function glorotLayers(name: string, sizes: readonly number[], rng: Rng): NamedTensor[] {
  return sizes.slice(1).flatMap((units, i): NamedTensor[] => {
    const fanIn = sizes[i]!;
    const limit = Math.sqrt(6 / (fanIn + units));
    return [
      {
        name: `${name}/dense${i}/kernel`,
        shape: [fanIn, units],
        values: Float32Array.from({ length: fanIn * units }, () => (2 * rng.next() - 1) * limit),
      },
      { name: `${name}/dense${i}/bias`, shape: [units], values: new Float32Array(units) },
    ];
  });
}

/**
 * A conditional generator's first weights — Glorot-uniform kernels, zero biases, named as the
 * generator network names them — in plain typed arrays, so a coordinator can start a federation
 * without tfjs. Seeded: the same architecture and seed give the same bytes.
 */
export function initialGeneratorWeights(architecture: GeneratorArchitecture, seed: number): WeightSnapshot {
  const sizes = [
    architecture.noiseDimension + architecture.classCount,
    ...architecture.hiddenUnits,
    architecture.outputDimension,
  ];
  return glorotLayers('generator', sizes, createRng(seed));
}
