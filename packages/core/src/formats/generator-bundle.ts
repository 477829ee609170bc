import { createHash } from 'node:crypto';
import {
  Type,
  type Static,
  type TArray,
  type TInteger,
  type TNull,
  type TNumber,
  type TObject,
  type TOptional,
  type TRecord,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { canonicalBytes, encodeKey, signBytes, verifyBytes, type KeyPair } from '../crypto/signing.js';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { readFileOrFail, writeFileAtomic } from '../io/files.js';
import { sameFeatureSpace, type FeatureSpec } from '../features/feature-spec.js';
import type { FeatureSet } from './feature-set.js';
import type { Standardiser } from '../stats/standardise.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import type { LatentPrior } from '../generator/latent-prior.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { TrainingPrivacySchema, type TrainingPrivacy } from '../privacy/training-privacy.js';

export const GENERATOR_BUNDLE_FORMAT_VERSION = '1';
const METADATA_KEY = 'emodistill.generator_bundle';
const MEAN_TENSOR = 'standardiser/mean';
const STD_TENSOR = 'standardiser/std';

/**
 * A federated bundle's provenance: the coordinator's aggregation strategy, the training rounds
 * aggregated into it and every site that took part. Centrally trained bundles have none.
 */
/** A site's differential-privacy spending as it reported it; null: it trained a round without DP (no guarantee). */
const SitePrivacySchema: TObject<{
  epsilonUtterance: TUnion<[TNumber, TNull]>;
  epsilonSpeaker: TUnion<[TNumber, TNull]>;
  delta: TUnion<[TNumber, TNull]>;
}> = Type.Object(
  {
    epsilonUtterance: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    epsilonSpeaker: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    delta: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type SitePrivacy = Static<typeof SitePrivacySchema>;

const FederationProvenanceSchema: TObject<{
  strategy: TString;
  trainingRounds: TInteger;
  sites: TArray<TString>;
  statisticsRound: TOptional<TInteger>;
  lastRound: TOptional<TInteger>;
  sitePrivacy: TOptional<TRecord<TString, typeof SitePrivacySchema>>;
}> = Type.Object({
  strategy: Type.String(),
  trainingRounds: Type.Integer({ minimum: 0 }),
  /** Every site whose update is in the weights. */
  sites: Type.Array(Type.String()),
  /** The round whose statistics made the first version (absent in bundles of early test fixtures). */
  statisticsRound: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The last training round aggregated (absent before the first). */
  lastRound: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Each training site's ε so far (its cumulative spending over every round it trained). */
  sitePrivacy: Type.Optional(Type.Record(Type.String(), SitePrivacySchema)),
});
export type FederationProvenance = Static<typeof FederationProvenanceSchema>;

const BundleMetadataSchema = Type.Object(
  {
    formatVersion: Type.Literal(GENERATOR_BUNDLE_FORMAT_VERSION),
    architecture: Type.Object(
      {
        kind: Type.Literal('conditional-mlp-generator'),
        noiseDimension: Type.Integer({ minimum: 1 }),
        hiddenUnits: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }),
        activation: Type.Literal('leakyRelu'),
        outputDimension: Type.Integer({ minimum: 1 }),
        conditioning: Type.Literal('concat-one-hot'),
      },
      { additionalProperties: false },
    ),
    classNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    featureSpec: Type.Object(
      {
        name: Type.String(),
        version: Type.String(),
        params: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
        dimensionNames: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    /** The distillation settings, as resolved (defaults filled). */
    trainingConfig: Type.Record(Type.String(), Type.Unknown()),
    provenance: Type.Object(
      {
        createdAt: Type.String(),
        tool: Type.String(),
        trainingRows: Type.Integer({ minimum: 0 }),
        trainingSpeakers: Type.Integer({ minimum: 0 }),
        corpusSource: Type.String(),
        steps: Type.Integer({ minimum: 0 }),
        seconds: Type.Number({ minimum: 0 }),
        backend: Type.String(),
        federation: Type.Optional(FederationProvenanceSchema),
        /** Present when the generator was trained with DP-SGD. */
        privacy: Type.Optional(TrainingPrivacySchema),
      },
      { additionalProperties: true },
    ),
    /** The labeler's hidden layers when the bundle carries one (tensors `labeler/…`): soft labels and selection. */
    labeler: Type.Optional(
      Type.Object(
        { hiddenUnits: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) },
        { additionalProperties: false },
      ),
    ),
    /** How `sample` draws from this generator unless told otherwise (the method's sampling; absent: hard, no oversampling). */
    sampling: Type.Optional(
      Type.Object(
        {
          labels: Type.Union([Type.Literal('hard'), Type.Literal('soft')]),
          oversample: Type.Integer({ minimum: 1 }),
          selection: Type.Optional(Type.Union([Type.Literal('herding'), Type.Literal('k-center')])),
          temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Federated generators: the sites' latent regions to sample from (distill/latent-prior.ts); absent: z ~ N(0, I). */
    latentPrior: Type.Optional(
      Type.Object(
        {
          components: Type.Array(
            Type.Object(
              {
                name: Type.String({ minLength: 1 }),
                weight: Type.Number({ minimum: 0, maximum: 1 }),
                offset: Type.Array(Type.Number()),
              },
              { additionalProperties: false },
            ),
            { minItems: 1 },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Present on a released (federated) bundle: the coordinator's Ed25519 signature. */
    signature: Type.Optional(
      Type.Object({ publicKey: Type.String(), signature: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

/** The bundle's JSON metadata (validated by BundleMetadataSchema on read). */
export interface GeneratorBundleMetadata {
  readonly formatVersion: string;
  readonly architecture: {
    readonly kind: 'conditional-mlp-generator';
    readonly noiseDimension: number;
    readonly hiddenUnits: readonly number[];
    readonly activation: 'leakyRelu';
    readonly outputDimension: number;
    readonly conditioning: 'concat-one-hot';
  };
  readonly classNames: readonly string[];
  readonly featureSpec: FeatureSpec;
  readonly trainingConfig: Readonly<Record<string, unknown>>;
  readonly provenance: {
    readonly createdAt: string;
    readonly tool: string;
    readonly trainingRows: number;
    readonly trainingSpeakers: number;
    readonly corpusSource: string;
    readonly steps: number;
    readonly seconds: number;
    readonly backend: string;
    /** Set by a federation's coordinator (formats/federated-bundle.ts). */
    readonly federation?: Readonly<FederationProvenance>;
    readonly privacy?: TrainingPrivacy;
    readonly [key: string]: unknown;
  };
  readonly labeler?: { readonly hiddenUnits: readonly number[] };
  readonly sampling?: SamplingDefaults;
  readonly latentPrior?: LatentPrior;
  readonly signature?: BundleSignature;
}

/** A method's sampling: hard or soft labels, and how many candidates to draw per point kept. */
export interface SamplingDefaults {
  readonly labels: 'hard' | 'soft';
  readonly oversample: number;
  /** How the kept candidates are chosen in the labeler's embedding; default herding. */
  readonly selection?: 'herding' | 'k-center';
  /** Soft labels are softmax(logits / temperature); default 1. */
  readonly temperature?: number;
}

/** Ed25519 over canonicalBytes({ metadata without signature, tensorsSha256 }), base64; key base64. */
export interface BundleSignature {
  readonly publicKey: string;
  readonly signature: string;
}

const checkMetadata = (value: unknown): value is GeneratorBundleMetadata & Static<typeof BundleMetadataSchema> =>
  Value.Check(BundleMetadataSchema, value);

/** A trained generator with everything needed to sample in the real feature space. */
export interface GeneratorBundle {
  readonly metadata: GeneratorBundleMetadata;
  readonly weights: WeightSnapshot;
  readonly standardiser: Standardiser;
}

function bundleError(source: string, reason: string): EmodistillError {
  return new EmodistillError(ERROR_CODES.bundleFormat, `${source} is not a usable generator bundle: ${reason}`);
}

/** Serialises a bundle as one safetensors file (weights loadable with `safetensors.torch.load_file`). */
export function encodeGeneratorBundle(bundle: GeneratorBundle): Uint8Array {
  const dimension = bundle.standardiser.mean.length;
  return encodeSafetensors(
    [
      ...bundle.weights,
      { name: MEAN_TENSOR, shape: [dimension], values: bundle.standardiser.mean },
      { name: STD_TENSOR, shape: [dimension], values: bundle.standardiser.std },
    ],
    { [METADATA_KEY]: JSON.stringify(bundle.metadata) },
  );
}

export function decodeGeneratorBundle(bytes: Uint8Array, source: string): GeneratorBundle {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const raw = metadata[METADATA_KEY];
  if (!raw) throw bundleError(source, `safetensors metadata "${METADATA_KEY}" is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bundleError(source, 'metadata is not JSON');
  }
  if (!checkMetadata(parsed)) {
    const first = Value.Errors(BundleMetadataSchema, parsed).First();
    throw bundleError(source, `metadata field ${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  const mean = tensors.find((t) => t.name === MEAN_TENSOR);
  const std = tensors.find((t) => t.name === STD_TENSOR);
  const dimension = parsed.architecture.outputDimension;
  if (!mean || !std || mean.values.length !== dimension || std.values.length !== dimension)
    throw bundleError(source, `standardisation tensors missing or not of length ${dimension}`);
  if (parsed.featureSpec.dimensionNames.length !== dimension)
    throw bundleError(
      source,
      `feature spec has ${parsed.featureSpec.dimensionNames.length} dimensions, generator outputs ${dimension}`,
    );
  const badComponent = parsed.latentPrior?.components.find(
    (c) => c.offset.length !== parsed.architecture.noiseDimension,
  );
  if (badComponent)
    throw bundleError(
      source,
      `latent region "${badComponent.name}" has ${badComponent.offset.length} offsets, the generator takes ${parsed.architecture.noiseDimension} noise dimensions`,
    );
  return {
    metadata: parsed,
    weights: tensors.filter((t) => t.name !== MEAN_TENSOR && t.name !== STD_TENSOR),
    standardiser: { mean: mean.values, std: std.values },
  };
}

/** sha256 (hex) over every tensor's name, shape and float32 bytes, in order: a weights fingerprint. */
export function snapshotSha256(tensors: WeightSnapshot): string {
  const hash = createHash('sha256');
  for (const tensor of tensors) {
    hash.update(`${tensor.name}:${tensor.shape.join('x')};`);
    hash.update(new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength));
  }
  return hash.digest('hex');
}

function signedBytes(bundle: GeneratorBundle): Uint8Array {
  const { signature: _ignored, ...metadata } = bundle.metadata;
  const tensors = [
    ...bundle.weights,
    { name: MEAN_TENSOR, shape: [bundle.standardiser.mean.length], values: bundle.standardiser.mean },
    { name: STD_TENSOR, shape: [bundle.standardiser.std.length], values: bundle.standardiser.std },
  ];
  return canonicalBytes({ metadata, tensorsSha256: snapshotSha256(tensors) });
}

/** @returns the bundle with the signer's signature over its metadata and every tensor */
export function signGeneratorBundle(bundle: GeneratorBundle, keys: KeyPair): GeneratorBundle {
  const { signature: _previous, ...metadata } = bundle.metadata;
  const unsigned = { ...bundle, metadata };
  return {
    ...bundle,
    metadata: {
      ...metadata,
      signature: { publicKey: encodeKey(keys.publicKey), signature: signBytes(signedBytes(unsigned), keys.secretKey) },
    },
  };
}

/**
 * Whether a bundle carries an intact signature; compare `publicKey` with the coordinator key you trust.
 * @returns the signer's public key, or undefined when unsigned or altered
 */
export function verifyGeneratorBundle(bundle: GeneratorBundle): string | undefined {
  const signature = bundle.metadata.signature;
  if (!signature) return undefined;
  return verifyBytes(signedBytes(bundle), signature.signature, signature.publicKey) ? signature.publicKey : undefined;
}

export async function writeGeneratorBundle(path: string, bundle: GeneratorBundle): Promise<void> {
  await writeFileAtomic(path, encodeGeneratorBundle(bundle));
}

export async function readGeneratorBundle(path: string): Promise<GeneratorBundle> {
  return decodeGeneratorBundle(await readFileOrFail(path, (reason) => bundleError(path, reason)), path);
}

/** Refuses to use a bundle with a feature set from another feature space or label set. */
export function assertBundleMatches(bundle: GeneratorBundle, set: FeatureSet, setSource: string): void {
  const spec = bundle.metadata.featureSpec;
  if (!sameFeatureSpace(spec, set.spec)) {
    throw new EmodistillError(
      ERROR_CODES.bundleMismatch,
      `the generator was trained on ${spec.name} v${spec.version} features (${spec.dimensionNames.length} dims) but ${setSource} holds ${set.spec.name} v${set.spec.version} (${set.dimension} dims); re-import the corpus with the same extractor or distil again`,
    );
  }
  const classNames = bundle.metadata.classNames;
  if (classNames.length !== set.classNames.length || classNames.some((name, i) => name !== set.classNames[i])) {
    throw new EmodistillError(
      ERROR_CODES.bundleMismatch,
      `the generator's classes [${bundle.metadata.classNames.join(', ')}] differ from ${setSource}'s [${set.classNames.join(', ')}]`,
    );
  }
}
