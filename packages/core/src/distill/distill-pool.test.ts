import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { DistillOptions } from '../generator/distill-config.js';
import { createRng } from '../random/rng.js';
import { expectEmodistillError, float32Bits } from '../../test/fixtures.js';
import { createDistillPool, type DistillPool } from './distill-pool.js';
import { distill, type DistillResult } from './train-loop.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';

/** 24 rows × 4 dims, two classes, three speakers. */
function makeSet(): FeatureSet {
  const rng = createRng(5);
  const classNames = ['neutral', 'angry'];
  const emotions = Array.from({ length: 24 }, (_, i) => classNames[i % 2]!);
  return {
    ids: emotions.map((_, i) => `u${i}`),
    speakers: emotions.map((_, i) => `s${i % 3}`),
    emotions,
    sessions: emotions.map(() => ''),
    features: Float32Array.from({ length: 24 * 4 }, (_, i) => 5 * (i % 4) + 3 * (Math.floor(i / 4) % 2) + rng.next()),
    dimension: 4,
    classNames,
    spec: { name: 'synthetic', version: '1', params: {}, dimensionNames: ['d0', 'd1', 'd2', 'd3'] },
    corpus: { source: 'synthetic-corpus', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
  };
}

/** Small, fast distillations that differ only in their seed. */
const OPTIONS = (seed: number): DistillOptions => ({
  hiddenUnits: [8],
  batchSize: 6,
  noiseDimension: 3,
  poolSize: 1,
  poolEpochs: 1,
  criticSteps: 1,
  steps: 3,
  seed,
});

/** Names, shapes and float32 bit patterns of a snapshot, for bit-identical comparisons. */
function bits(snapshot: WeightSnapshot): [string, readonly number[], Uint32Array][] {
  return snapshot.map((t) => [t.name, t.shape, float32Bits(t.values)]);
}

describe('createDistillPool', () => {
  let originalBackend: string;
  let pool: DistillPool | undefined;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    // the workers' backend and matmul, here too: the same kernels give the same bits
    expect(await selectBackend('wasm', 'wasm')).toBe('wasm');
  });
  afterAll(async () => {
    await pool?.close();
    await tf.setBackend(originalBackend);
  });

  it('runs two distillations in two worker threads, each bit-identical to distill() in this thread', async () => {
    // arrange
    const set = makeSet();
    const here = [await distill(set, OPTIONS(1)), await distill(set, OPTIONS(2))];

    // act
    pool = await createDistillPool({ threads: 2, backend: 'wasm', compute: 'wasm' });
    const inWorkers: DistillResult[] = await Promise.all([
      pool.distill(set, OPTIONS(1)),
      pool.distill(set, OPTIONS(2)),
    ]);

    // assert
    inWorkers.forEach((result, i) => {
      expect(bits(result.generatorWeights)).toEqual(bits(here[i]!.generatorWeights));
      expect(result.config).toEqual(here[i]!.config);
      expect(float32Bits(Float32Array.from(result.standardiser.mean))).toEqual(
        float32Bits(Float32Array.from(here[i]!.standardiser.mean)),
      );
      expect(result.classNames).toEqual(['neutral', 'angry']);
      expect(result.steps).toBe(3);
    });
    // the two seeds give two different generators, so the comparison above tells them apart
    expect(bits(inWorkers[0]!.generatorWeights)).not.toEqual(bits(inWorkers[1]!.generatorWeights));
  });

  it('brings an invalid option back as an EmodistillError with its code and message', async () => {
    // arrange
    pool ??= await createDistillPool({ threads: 2, backend: 'wasm', compute: 'wasm' });

    // act / assert
    await expectEmodistillError(
      () => pool!.distill(makeSet(), { ...OPTIONS(1), batchSize: 1 }),
      ERROR_CODES.invalidOption,
      'batchSize',
    );
  });

  it('still works after a failed task, and close() ends the threads and removes the bundled worker module', async () => {
    // arrange: from source, the worker module is bundled into node_modules/.cache/emodistill-distill-worker-*
    await pool?.close();
    pool = undefined;
    const cache = join(dirname(dirname(createRequire(import.meta.url).resolve('esbuild/package.json'))), '.cache');
    const workerDirs = async (): Promise<string[]> =>
      (await readdir(cache).catch(() => [])).filter((name) => name.startsWith('emodistill-distill-worker-'));
    const before = new Set(await workerDirs());
    const own = await createDistillPool({ threads: 2, backend: 'wasm', compute: 'wasm' });
    const created = (await workerDirs()).filter((name) => !before.has(name));
    const set = makeSet();

    // act
    const failed = await own.distill(set, { ...OPTIONS(1), batchSize: 1 }).catch((error: unknown) => error);
    const result = await own.distill(set, OPTIONS(3));
    await own.close();

    // assert
    expect(failed).toBeInstanceOf(EmodistillError);
    expect(result.generatorWeights.length).toBe(4);
    expect(created).toHaveLength(1);
    expect(existsSync(join(cache, created[0]!))).toBe(false);
  });
});

describe('createDistillPool with one thread', () => {
  it('distils in this thread, as distill() does, and closes without threads to end', async () => {
    // arrange
    await selectBackend('wasm', 'wasm');
    const set = makeSet();
    const pool = await createDistillPool({ threads: 1, backend: 'wasm', compute: 'wasm' });

    // act
    const fromPool = await pool.distill(set, OPTIONS(4));
    await pool.close();
    const direct = await distill(set, OPTIONS(4));

    // assert
    expect(bits(fromPool.generatorWeights)).toEqual(bits(direct.generatorWeights));
  });
});
