import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGeneratorNetwork } from '../distill/networks.js';
import { ERROR_CODES } from '../errors.js';
import { toSnapshot } from '../models/weight-snapshot.js';
import { encodeKey, generateKeyPair } from '../crypto/signing.js';
import { expectEmodistillError, float32Bits, useTempDir } from '../../test/fixtures.js';
import type { FeatureSet } from './feature-set.js';
import {
  assertBundleMatches,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  readGeneratorBundle,
  signGeneratorBundle,
  verifyGeneratorBundle,
  writeGeneratorBundle,
  type GeneratorBundle,
  type GeneratorBundleMetadata,
} from './generator-bundle.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { useWasmBackend } from '../../test/backend.js';

const SPEC = {
  name: 'synthetic',
  version: '1',
  params: { hop: 160, window: 'hann' },
  dimensionNames: ['f0', 'f1', 'f2'],
};

/** A bundle of an untrained 3-D, 2-class generator (noise 4, hidden [5]); no distillation needed. */
function makeBundle(): GeneratorBundle {
  const network = createGeneratorNetwork(
    { dimension: 3, classCount: 2 },
    { noiseDimension: 4, hiddenUnits: [5], seed: 1 },
  );
  const weights = toSnapshot(network);
  network.dispose();
  const metadata: GeneratorBundleMetadata = {
    formatVersion: '1',
    architecture: {
      kind: 'conditional-mlp-generator',
      noiseDimension: 4,
      hiddenUnits: [5],
      activation: 'leakyRelu',
      outputDimension: 3,
      conditioning: 'concat-one-hot',
    },
    classNames: ['angry', 'sad'],
    featureSpec: SPEC,
    trainingConfig: { steps: 3, seed: 1 },
    provenance: {
      createdAt: '2025-01-01T00:00:00.000Z',
      tool: 'emodistill 0.1.0',
      trainingRows: 40,
      trainingSpeakers: 4,
      corpusSource: 'synthetic',
      steps: 3,
      seconds: 0.5,
      backend: 'wasm',
    },
  };
  return {
    metadata,
    weights,
    standardiser: { mean: Float32Array.from([1, -2, 300]), std: Float32Array.from([0.5, 2, 40]) },
  };
}

function makeSet(overrides: Partial<FeatureSet> = {}): FeatureSet {
  return {
    ids: ['u0', 'u1'],
    speakers: ['s0', 's1'],
    emotions: ['angry', 'sad'],
    sessions: ['', ''],
    features: Float32Array.from([1, 2, 3, 4, 5, 6]),
    dimension: 3,
    classNames: ['angry', 'sad'],
    spec: SPEC,
    corpus: { source: 'test', task: 'custom', createdAt: '2025-01-01T00:00:00.000Z' },
    ...overrides,
  };
}

/** Re-encodes `bytes` with its bundle metadata JSON passed through `edit`. */
function withMetadata(bytes: Uint8Array, edit: (metadata: Record<string, unknown>) => unknown): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, 'mem');
  const key = 'emodistill.generator_bundle';
  const edited = edit(JSON.parse(metadata[key]!) as Record<string, unknown>);
  return encodeSafetensors(
    tensors,
    edited === undefined ? {} : { [key]: typeof edited === 'string' ? edited : JSON.stringify(edited) },
  );
}

describe('generator bundle encoding', () => {
  const temp = useTempDir();
  useWasmBackend();

  it('round-trips metadata, weights and standardisation bit for bit', () => {
    // arrange
    const bundle = makeBundle();

    // act
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(bundle), 'mem');

    // assert
    expect(decoded.metadata).toEqual(bundle.metadata);
    expect(decoded.weights.map((t) => [t.name, t.shape])).toEqual(bundle.weights.map((t) => [t.name, t.shape]));
    decoded.weights.forEach((t, i) =>
      expect(float32Bits(t.values), t.name).toEqual(float32Bits(bundle.weights[i]!.values)),
    );
    expect(float32Bits(decoded.standardiser.mean)).toEqual(float32Bits(bundle.standardiser.mean));
    expect(float32Bits(decoded.standardiser.std)).toEqual(float32Bits(bundle.standardiser.std));
  });

  it('writes and reads a file; a missing file is a BUNDLE_FORMAT error naming the path', async () => {
    // arrange
    const path = join(temp.path, 'g.safetensors');
    const bundle = makeBundle();

    // act
    await writeGeneratorBundle(path, bundle);
    const read = await readGeneratorBundle(path);

    // assert
    expect(read.metadata).toEqual(bundle.metadata);
    await expectEmodistillError(
      () => readGeneratorBundle(join(temp.path, 'none.safetensors')),
      ERROR_CODES.bundleFormat,
      'none.safetensors',
      'not found',
    );
  });

  it.each([
    [
      '/architecture/noiseDimension',
      (m: Record<string, unknown>) => ({
        ...m,
        architecture: { ...(m.architecture as object), noiseDimension: 'four' },
      }),
    ],
    ['/formatVersion', (m: Record<string, unknown>) => ({ ...m, formatVersion: '2' })],
    ['/classNames', (m: Record<string, unknown>) => ({ ...m, classNames: [] })],
    [
      '/provenance/trainingRows',
      (m: Record<string, unknown>) => ({ ...m, provenance: { ...(m.provenance as object), trainingRows: -1 } }),
    ],
    ['/featureSpec', (m: Record<string, unknown>) => ({ ...m, featureSpec: undefined })],
  ])('rejects a corrupted metadata field (%s) with BUNDLE_FORMAT naming the field', async (field, edit) => {
    // arrange
    const bytes = withMetadata(encodeGeneratorBundle(makeBundle()), edit);

    // act / assert
    await expectEmodistillError(
      () => decodeGeneratorBundle(bytes, 'corrupt.safetensors'),
      ERROR_CODES.bundleFormat,
      'corrupt.safetensors',
      field,
    );
  });

  it('rejects missing or non-JSON metadata', async () => {
    // arrange
    const missing = withMetadata(encodeGeneratorBundle(makeBundle()), () => undefined);
    const notJson = withMetadata(encodeGeneratorBundle(makeBundle()), () => '{"formatVersion":');

    // act / assert
    await expectEmodistillError(
      () => decodeGeneratorBundle(missing, 'a.safetensors'),
      ERROR_CODES.bundleFormat,
      'emodistill.generator_bundle',
      'missing',
    );
    await expectEmodistillError(
      () => decodeGeneratorBundle(notJson, 'b.safetensors'),
      ERROR_CODES.bundleFormat,
      'not JSON',
    );
  });

  it('rejects standardisation tensors that do not match the output dimension', async () => {
    // arrange
    const bundle = makeBundle();
    const bytes = encodeGeneratorBundle({
      ...bundle,
      standardiser: { mean: Float32Array.from([1, 2]), std: Float32Array.from([1, 2]) },
    });

    // act / assert
    await expectEmodistillError(
      () => decodeGeneratorBundle(bytes, 'std.safetensors'),
      ERROR_CODES.bundleFormat,
      'standardisation',
      'length 3',
    );
  });

  it("round-trips a federated bundle's latent prior, and rejects a region whose centre has another noise dimension", async () => {
    // arrange
    const base = makeBundle();
    const latentPrior = {
      components: [
        { name: 'site-a', weight: 0.6, offset: [1, 0, -2, 0.5] },
        { name: 'site-b', weight: 0.4, offset: [0, 3, 0, 0] },
      ],
    };
    const bundle = { ...base, metadata: { ...base.metadata, latentPrior } };
    const shortRegion = withMetadata(encodeGeneratorBundle(bundle), (m) => ({
      ...m,
      latentPrior: { components: [{ name: 'site-a', weight: 1, offset: [1, 2] }] },
    }));

    // act
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(bundle), 'mem');

    // assert
    expect(decoded.metadata.latentPrior).toEqual(latentPrior);
    await expectEmodistillError(
      () => decodeGeneratorBundle(shortRegion, 'fed.bundle'),
      ERROR_CODES.bundleFormat,
      'fed.bundle',
      'latent region "site-a" has 2 offsets',
      '4 noise dimensions',
    );
  });
});

describe('assertBundleMatches', () => {
  it('accepts a set of the same feature space and classes', () => {
    // arrange
    const bundle = makeBundle();

    // act / assert
    expect(() => assertBundleMatches(bundle, makeSet(), 'real.arrow')).not.toThrow();
  });

  it('refuses a set with another feature spec (other dimension names), naming the set', async () => {
    // arrange
    const set = makeSet({ spec: { ...SPEC, dimensionNames: ['f0', 'f1', 'g2'] } });

    // act / assert
    await expectEmodistillError(
      () => assertBundleMatches(makeBundle(), set, 'other-spec.arrow'),
      ERROR_CODES.bundleMismatch,
      'other-spec.arrow',
      'synthetic v1',
    );
  });

  it('refuses a set with other feature params, naming the set', async () => {
    // arrange
    const set = makeSet({ spec: { ...SPEC, params: { hop: 256, window: 'hann' } } });

    // act / assert
    await expectEmodistillError(
      () => assertBundleMatches(makeBundle(), set, 'params.arrow'),
      ERROR_CODES.bundleMismatch,
      'params.arrow',
    );
  });

  it('refuses a set with other class names, listing both and naming the set', async () => {
    // arrange
    const set = makeSet({ classNames: ['angry', 'happy'], emotions: ['angry', 'happy'] });

    // act / assert
    await expectEmodistillError(
      () => assertBundleMatches(makeBundle(), set, 'classes.arrow'),
      ERROR_CODES.bundleMismatch,
      'classes.arrow',
      '[angry, sad]',
      '[angry, happy]',
    );
  });

  it('compares class names one by one, not joined ("a,b" is not "a", "b")', async () => {
    // arrange
    const bundle = { ...makeBundle(), metadata: { ...makeBundle().metadata, classNames: ['angry,sad'] } };

    // act / assert
    await expectEmodistillError(
      () => assertBundleMatches(bundle, makeSet(), 'comma.arrow'),
      ERROR_CODES.bundleMismatch,
      'comma.arrow',
    );
  });

  it('refuses the same classes in another order (label indices would differ)', async () => {
    // arrange
    const set = makeSet({ classNames: ['sad', 'angry'] });

    // act / assert
    await expectEmodistillError(
      () => assertBundleMatches(makeBundle(), set, 'order.arrow'),
      ERROR_CODES.bundleMismatch,
      'order.arrow',
    );
  });
});

describe('signed generator bundles', () => {
  it('verify after a file round trip and fail once a weight or the provenance is altered', () => {
    // arrange
    const coordinator = generateKeyPair();
    const signed = signGeneratorBundle(makeBundle(), coordinator);

    // act
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(signed), 'signed.bundle');
    const alteredWeights = {
      ...decoded,
      weights: decoded.weights.map((t, i) =>
        i === 0 ? { ...t, values: t.values.map((v, j) => (j === 0 ? v + 1e-3 : v)) } : t,
      ),
    };
    const alteredProvenance = {
      ...decoded,
      metadata: { ...decoded.metadata, provenance: { ...decoded.metadata.provenance, trainingRows: 1 } },
    };

    // assert
    expect(verifyGeneratorBundle(decoded)).toBe(encodeKey(coordinator.publicKey));
    expect(verifyGeneratorBundle(alteredWeights)).toBeUndefined();
    expect(verifyGeneratorBundle(alteredProvenance)).toBeUndefined();
    expect(verifyGeneratorBundle(makeBundle())).toBeUndefined();
  });
});
