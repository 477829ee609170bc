import * as tf from '@tensorflow/tfjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import type { Mlp } from './mlp.js';

/** Copies a network's weights out of tfjs, under their stable names. */
export function toSnapshot(network: Mlp): WeightSnapshot {
  return network.variables.map((variable, i) => ({
    name: network.variableNames[i]!,
    shape: [...variable.shape],
    values: Float32Array.from(variable.dataSync() as Float32Array),
  }));
}

/** Assigns a snapshot to a network's variables, matched by name; refuses missing names or other shapes. */
export function applySnapshot(network: Mlp, snapshot: WeightSnapshot, source: string): void {
  const byName = new Map(snapshot.map((tensor) => [tensor.name, tensor]));
  network.variables.forEach((variable, i) => {
    const name = network.variableNames[i]!;
    const tensor = byName.get(name);
    if (!tensor) throw new EmodistillError(ERROR_CODES.bundleMismatch, `${source}: no tensor "${name}"`);
    if (tensor.shape.join() !== variable.shape.join()) {
      throw new EmodistillError(
        ERROR_CODES.bundleMismatch,
        `${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${variable.shape.join(', ')}]`,
      );
    }
    tf.tidy(() => variable.assign(tf.tensor(tensor.values, variable.shape)));
  });
}
