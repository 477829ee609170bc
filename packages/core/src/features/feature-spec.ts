import {
  Type,
  type TArray,
  type TNumber,
  type TObject,
  type TRecord,
  type TString,
  type TUnion,
} from '@sinclair/typebox';

/** What produced a feature vector: stored with every feature set and generator bundle. */
export interface FeatureSpec {
  readonly name: string;
  readonly version: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly dimensionNames: readonly string[];
}

/** A FeatureSpec as stored in files (feature sets, federation specs). */
export const FeatureSpecSchema: TObject<{
  name: TString;
  version: TString;
  params: TRecord<TString, TUnion<[TNumber, TString]>>;
  dimensionNames: TArray<TString>;
}> = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    version: Type.String(),
    params: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
    dimensionNames: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

/** Turns mono audio at `sampleRateHz` into one fixed-length utterance vector. */
export interface FeatureExtractor {
  readonly spec: FeatureSpec;
  readonly sampleRateHz: number;
  /** @param samples mono audio at `sampleRateHz`; @returns a vector of spec.dimensionNames.length */
  extract(samples: Float32Array): Float32Array;
}

/** True when two specs describe the same feature space (name, version, params, dimensions). */
export function sameFeatureSpace(a: FeatureSpec, b: FeatureSpec): boolean {
  return (
    a.name === b.name &&
    a.version === b.version &&
    JSON.stringify(a.params) === JSON.stringify(b.params) &&
    a.dimensionNames.length === b.dimensionNames.length &&
    a.dimensionNames.every((name, i) => name === b.dimensionNames[i])
  );
}
