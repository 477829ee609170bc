import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'npyjs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError, float32Bits, useTempDir, writeText } from '../../test/fixtures.js';
import { importEmbeddings } from './embeddings.js';

/** 4 rows × 3 dims of float32, with −0 and a subnormal to check bit-exactness. */
const EMBEDDINGS = Float32Array.from([0.5, -1.25, 3, -0, 1e-40, 7.5, 2, 2, 2, -8, 0.125, 1 / 3]);
const MANIFEST = [
  'id,emotion,speaker,session',
  'u0,happy,s1,1',
  'u1,sad,s1,1',
  'u2,happy,s2,2',
  'u3,neutral,s2,2',
  '',
].join('\n');

describe('importEmbeddings', () => {
  const temp = useTempDir();

  async function writeNpy(
    name: string,
    data: Parameters<typeof dump>[0],
    shape: number[],
    dtype?: Parameters<typeof dump>[2],
  ): Promise<string> {
    const path = join(temp.path, name);
    await writeFile(path, new Uint8Array(dump(data, shape, dtype)));
    return path;
  }

  it('imports a float32 [N, d] .npy with a CSV manifest as a feature set with dims emb0..', async () => {
    // arrange
    const npy = await writeNpy('emb.npy', EMBEDDINGS, [4, 3]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act
    const set = await importEmbeddings(npy, manifest, { model: 'wavlm-base-plus' });

    // assert
    expect(set.ids).toEqual(['u0', 'u1', 'u2', 'u3']);
    expect(set.speakers).toEqual(['s1', 's1', 's2', 's2']);
    expect(set.emotions).toEqual(['happy', 'sad', 'happy', 'neutral']);
    expect(set.sessions).toEqual(['1', '1', '2', '2']);
    expect(set.classNames).toEqual(['happy', 'neutral', 'sad']);
    expect(set.dimension).toBe(3);
    expect(float32Bits(set.features)).toEqual(float32Bits(EMBEDDINGS));
    expect(set.spec).toEqual({
      name: 'embeddings',
      version: '1',
      params: { model: 'wavlm-base-plus', file: 'emb.npy' },
      dimensionNames: ['emb0', 'emb1', 'emb2'],
    });
    expect(set.corpus).toMatchObject({ source: 'embeddings', task: 'custom' });
  });

  it('numbers rows when the manifest has no id column, leaves sessions empty without one, and follows `classes`', async () => {
    // arrange
    const npy = await writeNpy('emb.npy', EMBEDDINGS.subarray(0, 6), [2, 3]);
    const manifest = await writeText(
      join(temp.path, 'emb.jsonl'),
      '{"emotion": "sad", "speaker": "a"}\n{"emotion": "happy", "speaker": "b"}\n',
    );

    // act
    const set = await importEmbeddings(npy, manifest, { classes: ['sad', 'happy'] });

    // assert
    expect(set.ids).toEqual(['0', '1']);
    expect(set.sessions).toEqual(['', '']);
    expect(set.classNames).toEqual(['sad', 'happy']);
    expect(set.spec.params.model).toBe('unknown');
  });

  it('refuses float64 embeddings, naming the file and the dtype', async () => {
    // arrange
    const npy = await writeNpy('emb64.npy', Float64Array.from(EMBEDDINGS), [4, 3]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act / assert
    await expectEmodistillError(
      () => importEmbeddings(npy, manifest),
      ERROR_CODES.embeddingsShape,
      npy,
      'f8',
      'float32',
    );
  });

  it('refuses a 1-D array, naming the file and the shape', async () => {
    // arrange
    const npy = await writeNpy('flat.npy', EMBEDDINGS, [12]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act / assert
    await expectEmodistillError(() => importEmbeddings(npy, manifest), ERROR_CODES.embeddingsShape, npy, '[12]');
  });

  it('refuses a manifest whose row count differs from the embeddings, naming both files and both counts', async () => {
    // arrange
    const npy = await writeNpy('emb.npy', EMBEDDINGS.subarray(0, 9), [3, 3]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act / assert
    await expectEmodistillError(
      () => importEmbeddings(npy, manifest),
      ERROR_CODES.embeddingsShape,
      manifest,
      npy,
      '4 rows',
      '3 embeddings',
    );
  });

  it('refuses NaN embeddings, naming the file and the row', async () => {
    // arrange
    const withNaN = EMBEDDINGS.slice();
    withNaN[7] = Number.NaN;
    const npy = await writeNpy('nan.npy', withNaN, [4, 3]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act / assert
    await expectEmodistillError(() => importEmbeddings(npy, manifest), ERROR_CODES.embeddingsShape, npy, 'row 2');
  });

  it('refuses a file that is not .npy, and a missing file, naming them', async () => {
    // arrange
    const notNpy = join(temp.path, 'emb.npy');
    await writeFile(notNpy, 'definitely not numpy');
    const missing = join(temp.path, 'absent.npy');
    const manifest = await writeText(join(temp.path, 'emb.csv'), MANIFEST);

    // act / assert
    await expectEmodistillError(() => importEmbeddings(notNpy, manifest), ERROR_CODES.embeddingsShape, notNpy);
    await expectEmodistillError(() => importEmbeddings(missing, manifest), ERROR_CODES.embeddingsShape, missing);
  });

  it('refuses a manifest without an emotion column, naming it', async () => {
    // arrange
    const npy = await writeNpy('emb.npy', EMBEDDINGS, [4, 3]);
    const manifest = await writeText(join(temp.path, 'emb.csv'), 'speaker\na\nb\nc\nd\n');

    // act / assert
    await expectEmodistillError(
      () => importEmbeddings(npy, manifest),
      ERROR_CODES.manifestColumn,
      manifest,
      '"emotion"',
    );
  });
});
