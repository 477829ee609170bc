import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { decodeSafetensors, encodeSafetensors } from '../formats/safetensors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { Mlp } from '../models/mlp.js';
import type { NamedTensor } from '../tensors/weight-snapshot.js';
import { applySnapshot, toSnapshot } from '../tensors/weight-snapshot.js';
import type { DistillConfig } from './config.js';

const METADATA_KEY = 'emodistill.checkpoint';

/** What must match for a checkpoint to continue a run: the data and every setting but the step count (a run may be extended). */
export function trainingFingerprint(set: FeatureSet, config: DistillConfig): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength));
  hash.update(JSON.stringify([set.emotions, set.classNames, { ...config, steps: undefined }]));
  return hash.digest('hex');
}

export interface CheckpointState {
  readonly generator: Mlp;
  readonly critic: Mlp;
  readonly generatorOptimizer: tf.Optimizer;
  readonly criticOptimizer: tf.Optimizer;
}

/**
 * tfjs's Adam keeps β₁ᵗ and β₂ᵗ as running products (private `accBeta1`, `accBeta2`), and its
 * setWeights recomputes them with pow, which differs in the last bit (e.g. β₂ = 0.9 after 11
 * steps) and so breaks bit-identical resumes. They are saved and restored as they are.
 */
const ADAM_POWERS = ['accBeta1', 'accBeta2'] as const;
type AdamPowers = Partial<Record<(typeof ADAM_POWERS)[number], tf.Variable>>;

/** Optimizer slots in the optimizer's own order (tfjs matches Adam moments by position), then Adam's β powers. */
async function optimizerTensors(optimizer: tf.Optimizer, prefix: string): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  try {
    const slots = weights.map((weight, i) => ({ name: `${prefix}/${String(i).padStart(4, '0')}`, shape: [...weight.tensor.shape], values: Float32Array.from(weight.tensor.dataSync() as Float32Array) }));
    const powers = ADAM_POWERS.flatMap((key) => {
      const variable = (optimizer as unknown as AdamPowers)[key];
      return variable ? [{ name: `${prefix}.${key}`, shape: [], values: Float32Array.from(variable.dataSync() as Float32Array) }] : [];
    });
    return [...slots, ...powers];
  } finally {
    // The first entry, the iteration count, is a fresh tensor; the others are the optimizer's own variables.
    weights[0]?.tensor.dispose();
  }
}

/** Writes G, D and both Adam states after `step` generator steps, atomically. */
export async function saveCheckpoint(path: string, state: CheckpointState, meta: { step: number; fingerprint: string }): Promise<void> {
  const tensors = [
    ...toSnapshot(state.generator),
    ...toSnapshot(state.critic),
    ...(await optimizerTensors(state.generatorOptimizer, 'optimizer/generator')),
    ...(await optimizerTensors(state.criticOptimizer, 'optimizer/critic')),
  ];
  await writeFileAtomic(path, encodeSafetensors(tensors, { [METADATA_KEY]: JSON.stringify(meta) }));
}

async function restoreOptimizer(optimizer: tf.Optimizer, tensors: readonly NamedTensor[], prefix: string): Promise<void> {
  const slots = tensors.filter((t) => t.name.startsWith(`${prefix}/`)).sort((a, b) => a.name.localeCompare(b.name));
  const values = slots.map((slot, i) => ({ name: i === 0 ? 'iter' : slot.name, tensor: tf.tensor(slot.values, [...slot.shape]) }));
  try {
    await optimizer.setWeights(values);
  } finally {
    // setWeights makes its variables share these tensors' data; the handles themselves are ours.
    tf.dispose(values.map((value) => value.tensor));
  }
  for (const key of ADAM_POWERS) {
    const saved = tensors.find((t) => t.name === `${prefix}.${key}`);
    const variable = (optimizer as unknown as AdamPowers)[key];
    if (saved && variable) tf.tidy(() => variable.assign(tf.scalar(saved.values[0]!)));
  }
}

/**
 * Loads a checkpoint into fresh networks and optimizers. @returns the generator steps already done,
 * or 0 when `path` does not exist. Refuses a checkpoint of other data or settings.
 */
export async function loadCheckpoint(path: string, state: CheckpointState, fingerprint: string): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  const meta = JSON.parse(metadata[METADATA_KEY] ?? '{}') as { step?: number; fingerprint?: string };
  if (meta.fingerprint !== fingerprint || typeof meta.step !== 'number') {
    throw new EmodistillError(ERROR_CODES.bundleMismatch, `checkpoint ${path} belongs to another training set or other settings; delete it or use another --checkpoint path`);
  }
  applySnapshot(state.generator, tensors, path);
  applySnapshot(state.critic, tensors, path);
  await restoreOptimizer(state.generatorOptimizer, tensors, 'optimizer/generator');
  await restoreOptimizer(state.criticOptimizer, tensors, 'optimizer/critic');
  return meta.step;
}
