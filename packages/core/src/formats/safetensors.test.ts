import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import type { NamedTensor } from '../tensors/named-tensor.js';
import { expectEmodistillError, float32Bits, useTempDir } from '../../test/fixtures.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** A 2×3 kernel, a 0-d scalar, a vector of special values, and an empty tensor. */
function makeTensors(): NamedTensor[] {
  return [
    { name: 'generator/dense0/kernel', shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-3, -0, 7]) },
    { name: 'scalar', shape: [], values: Float32Array.from([42.25]) },
    {
      name: 'special',
      shape: [5],
      values: Float32Array.from([Number.NaN, Infinity, -Infinity, 1.4e-45, -3.4028234663852886e38]),
    },
    { name: 'empty', shape: [0, 4], values: new Float32Array(0) },
  ];
}

/** An 8-byte little-endian length, then `header` as UTF-8, then `data`. */
function handBuilt(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerLengthOf(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
}

const pythonWithNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('encodeSafetensors / decodeSafetensors', () => {
  const temp = useTempDir();

  it('round-trip names, shapes (incl. 0-d and empty), bit-identical values and metadata', () => {
    // arrange
    const tensors = makeTensors();
    const metadata = { 'emodistill.test': '{"a":1}', other: 'ünïcödé ✓' };

    // act
    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata), 'mem');

    // assert
    expect(decoded.metadata).toEqual(metadata);
    expect(decoded.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    expect(decoded.tensors.map((t) => t.shape)).toEqual([[2, 3], [], [5], [0, 4]]);
    decoded.tensors.forEach((t, i) => expect(float32Bits(t.values), t.name).toEqual(float32Bits(tensors[i]!.values)));
  });

  it('leaves its inputs unchanged', () => {
    // arrange
    const tensors = makeTensors();

    // act
    encodeSafetensors(tensors, { a: 'b' });

    // assert
    expect(tensors.map((t) => [t.name, t.shape, Array.from(float32Bits(t.values))])).toEqual(
      makeTensors().map((t) => [t.name, t.shape, Array.from(float32Bits(t.values))]),
    );
  });

  it('starts the tensor data 8-byte aligned whatever the header length', () => {
    // arrange: names of 1..8 characters cover every header length modulo 8
    const names = Array.from({ length: 8 }, (_, i) => 'x'.repeat(i + 1));

    // act
    const headerLengths = names.map((name) =>
      headerLengthOf(encodeSafetensors([{ name, shape: [1], values: Float32Array.from([1]) }], {})),
    );

    // assert
    for (const length of headerLengths) expect((8 + length) % 8).toBe(0);
    expect(new Set(headerLengths.map((length) => length)).size).toBeGreaterThan(1);
  });

  it('decodes from a view at an unaligned offset of a larger buffer', () => {
    // arrange
    const encoded = encodeSafetensors(makeTensors(), {});
    const buffer = new Uint8Array(encoded.length + 3);
    buffer.set(encoded, 3);

    // act
    const decoded = decodeSafetensors(buffer.subarray(3), 'view');

    // assert
    expect(float32Bits(decoded.tensors[0]!.values)).toEqual(float32Bits(makeTensors()[0]!.values));
  });

  it.skipIf(!pythonWithNumpy)(
    'writes the layout an independent reader (python3 + numpy, by the format spec) expects',
    async () => {
      // arrange
      const path = join(temp.path, 'weights.safetensors');
      await writeFile(path, encodeSafetensors(makeTensors(), { k: 'v' }));
      const script = [
        'import json, struct, sys, numpy as np',
        'b = open(sys.argv[1], "rb").read()',
        'n = struct.unpack("<Q", b[:8])[0]',
        'h = json.loads(b[8:8 + n])',
        'data = b[8 + n:]',
        'out = {"metadata": h.pop("__metadata__"), "tensors": {}}',
        'for name, e in h.items():',
        '    a = np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtype="<f4").reshape(e["shape"])',
        '    out["tensors"][name] = {"dtype": e["dtype"], "shape": list(a.shape), "first": None if a.size == 0 else repr(float(a.reshape(-1)[0]))}',
        'out["aligned"] = (8 + n) % 8 == 0',
        'print(json.dumps(out))',
      ].join('\n');

      // act
      const parsed = JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as {
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; first: string | null }>;
        aligned: boolean;
      };

      // assert
      expect(parsed.metadata).toEqual({ k: 'v' });
      expect(parsed.aligned).toBe(true);
      expect(parsed.tensors).toEqual({
        'generator/dense0/kernel': { dtype: 'F32', shape: [2, 3], first: '1.0' },
        scalar: { dtype: 'F32', shape: [], first: '42.25' },
        special: { dtype: 'F32', shape: [5], first: 'nan' },
        empty: { dtype: 'F32', shape: [0, 4], first: null },
      });
    },
  );
});

describe('decodeSafetensors errors', () => {
  it('refuses a file shorter than the 8-byte length', async () => {
    // arrange
    const bytes = new Uint8Array(5);

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'short.safetensors'),
      ERROR_CODES.bundleFormat,
      'short.safetensors',
      '8-byte',
    );
  });

  it('refuses a truncated file (data cut short), naming the file', async () => {
    // arrange
    const encoded = encodeSafetensors(makeTensors(), {});
    const truncated = encoded.subarray(0, encoded.length - 4);

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(truncated, 'cut.safetensors'),
      ERROR_CODES.bundleFormat,
      'cut.safetensors',
      'truncated',
    );
  });

  it('refuses a header length beyond the end of the file', async () => {
    // arrange
    const bytes = handBuilt({ __metadata__: {} }, new Uint8Array(0), 1_000_000);

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'long.safetensors'),
      ERROR_CODES.bundleFormat,
      'header length 1000000',
    );
  });

  it('refuses a header that is not JSON', async () => {
    // arrange
    const bytes = handBuilt('{"a": ');

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'bad.safetensors'),
      ERROR_CODES.bundleFormat,
      'not JSON',
    );
  });

  it('refuses a tensor of another dtype, naming the tensor and the dtype', async () => {
    // arrange: two F16 values (4 bytes)
    const bytes = handBuilt({ half: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4));

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'f16.safetensors'),
      ERROR_CODES.bundleFormat,
      '"half"',
      'F16',
    );
  });

  it('refuses offsets that do not fit the shape', async () => {
    // arrange: shape [3] needs 12 bytes, offsets give 8
    const bytes = handBuilt({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'offsets.safetensors'),
      ERROR_CODES.bundleFormat,
      '"x"',
      '[0, 8]',
    );
  });

  it('refuses trailing bytes after the last tensor', async () => {
    // arrange
    const encoded = encodeSafetensors(makeTensors(), {});
    const padded = new Uint8Array(encoded.length + 4);
    padded.set(encoded);

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(padded, 'tail.safetensors'),
      ERROR_CODES.bundleFormat,
      '4 bytes after the last tensor',
    );
  });

  it.each([
    ['a header that is not an object', 'null'],
    ['a header that is an array', '[1, 2]'],
    ['an entry without data_offsets', JSON.stringify({ x: { dtype: 'F32', shape: [1] } })],
    ['an entry with a non-numeric shape', JSON.stringify({ x: { dtype: 'F32', shape: ['1'], data_offsets: [0, 4] } })],
    ['an entry that is not an object', JSON.stringify({ x: 3 })],
    ['non-string metadata', JSON.stringify({ __metadata__: { a: 1 } })],
  ])('refuses %s with BUNDLE_FORMAT (not a TypeError)', async (_, header) => {
    // arrange: the data would fit a one-element tensor
    const bytes = handBuilt(header, header.includes('"x"') ? new Uint8Array(4) : new Uint8Array(0));

    // act / assert
    await expectEmodistillError(
      () => decodeSafetensors(bytes, 'hostile.safetensors'),
      ERROR_CODES.bundleFormat,
      'hostile.safetensors',
    );
  });
});
