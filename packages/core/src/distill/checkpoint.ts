import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { decodeSafetensors, encodeSafetensors } from '../formats/safetensors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { Mlp } from '../models/mlp.js';
import type { FusedAdam } from '../optim/fused-adam.js';
import type { WeightAverage } from './weight-average.js';
import type { NamedTensor } from '../tensors/named-tensor.js';
import { applySnapshot, toSnapshot } from '../models/weight-snapshot.js';
import type { DistillConfig } from '../generator/distill-config.js';

const METADATA_KEY = 'emodistill.checkpoint';
const AVERAGE_PREFIX = 'average/';

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
  readonly generatorOptimizer: FusedAdam;
  readonly criticOptimizer: FusedAdam;
  /** The generator's weight average, when the run keeps one. */
  readonly generatorAverage?: WeightAverage;
  /**
   * DP-SGD's secret seed (batch sampling and noise), when private: kept in the checkpoint, which
   * never leaves the site, so a resumed run continues as an uninterrupted one would.
   */
  readonly randomness: { privateSeed: number | undefined };
}

const prefixed = (tensors: readonly NamedTensor[], prefix: string): NamedTensor[] =>
  tensors.map((t) => ({ ...t, name: prefix + t.name }));
const unprefixed = (tensors: readonly NamedTensor[], prefix: string): NamedTensor[] =>
  tensors.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) }));

/** Writes G, D and both Adam states after `step` generator steps, atomically. */
export async function saveCheckpoint(
  path: string,
  state: CheckpointState,
  meta: { step: number; fingerprint: string },
): Promise<void> {
  const tensors = [
    ...toSnapshot(state.generator),
    ...toSnapshot(state.critic),
    ...prefixed(state.generatorOptimizer.state(), 'optimizer/generator/'),
    ...prefixed(state.criticOptimizer.state(), 'optimizer/critic/'),
    ...prefixed(state.generatorAverage?.state() ?? [], AVERAGE_PREFIX),
  ];
  const privateSeed = state.randomness.privateSeed;
  await writeFileAtomic(
    path,
    encodeSafetensors(tensors, {
      [METADATA_KEY]: JSON.stringify({ ...meta, ...(privateSeed !== undefined && { privateSeed }) }),
    }),
  );
}

/** The secret seed a private run's checkpoint at `path` keeps; undefined without one (or no checkpoint). */
export async function checkpointPrivateSeed(path: string): Promise<number | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const { privateSeed } = JSON.parse(decodeSafetensors(bytes, path).metadata[METADATA_KEY] ?? '{}') as {
    privateSeed?: unknown;
  };
  return typeof privateSeed === 'number' ? privateSeed : undefined;
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
  const meta = JSON.parse(metadata[METADATA_KEY] ?? '{}') as {
    step?: number;
    fingerprint?: string;
    privateSeed?: number;
  };
  if (meta.fingerprint !== fingerprint || typeof meta.step !== 'number') {
    throw new EmodistillError(
      ERROR_CODES.bundleMismatch,
      `checkpoint ${path} belongs to another training set or other settings; delete it or use another --checkpoint path`,
    );
  }
  applySnapshot(state.generator, tensors, path);
  applySnapshot(state.critic, tensors, path);
  state.generatorOptimizer.restore(unprefixed(tensors, 'optimizer/generator/'), path);
  state.criticOptimizer.restore(unprefixed(tensors, 'optimizer/critic/'), path);
  state.generatorAverage?.restore(unprefixed(tensors, AVERAGE_PREFIX), path);
  if (typeof meta.privateSeed === 'number') state.randomness.privateSeed = meta.privateSeed;
  return meta.step;
}
