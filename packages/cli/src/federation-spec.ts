import { Type, type Static, type TLiteral, type TObject } from '@sinclair/typebox';
import { checkConfig, FeatureSpecSchema, readJsonFile, sameFeatureSpace, type FeatureSet } from '@emodistill/core';
import { CoordinatorConfigSchema } from '@emodistill/coordinator';
import { SiteConfigSchema } from '@emodistill/site-agent';

/**
 * A federation's spec, as `federation init` puts it in every site's kit (`federation.json`): what a
 * site must match (the classes in model order and the feature extractor) and what it pins (the
 * coordinator's URL and public key). Same field schemas as the coordinator and site configs.
 */

/** The spec's file name in a site kit. */
export const FEDERATION_SPEC_FILE = 'federation.json';

const FederationSpecSchema: TObject<{
  kind: TLiteral<'emodistill-federation'>;
  specVersion: TLiteral<1>;
  coordinator: typeof SiteConfigSchema.properties.coordinator;
  classNames: typeof CoordinatorConfigSchema.properties.model.properties.classNames;
  featureSpec: typeof FeatureSpecSchema;
}> = Type.Object(
  {
    kind: Type.Literal('emodistill-federation'),
    specVersion: Type.Literal(1),
    coordinator: SiteConfigSchema.properties.coordinator,
    classNames: CoordinatorConfigSchema.properties.model.properties.classNames,
    featureSpec: FeatureSpecSchema,
  },
  { additionalProperties: false },
);

export type FederationSpec = Static<typeof FederationSpecSchema>;

export function federationSpecOf(fields: {
  readonly url: string;
  readonly coordinatorPublicKey: string;
  readonly set: FeatureSet;
}): FederationSpec {
  const { spec } = fields.set;
  return {
    kind: 'emodistill-federation',
    specVersion: 1,
    coordinator: { url: fields.url, publicKey: fields.coordinatorPublicKey },
    classNames: [...fields.set.classNames],
    featureSpec: {
      name: spec.name,
      version: spec.version,
      params: { ...spec.params },
      dimensionNames: [...spec.dimensionNames],
    },
  };
}

/** Reads a federation spec; its problems (unreadable, or every bad field) name the file. */
export async function readFederationSpec(path: string): Promise<{ spec?: FederationSpec; problems: string[] }> {
  try {
    const { filled, errors } = checkConfig(FederationSpecSchema, await readJsonFile(path, 'federation spec'));
    return errors.length > 0
      ? { problems: errors.map((error) => `federation spec ${path}: ${error}`) }
      : { spec: filled as FederationSpec, problems: [] };
  } catch (error) {
    return { problems: [(error as Error).message] };
  }
}

const listed = (names: readonly string[]): string => `[${names.join(', ')}]`;

/**
 * How a site's feature set differs from the federation's classes (same names in the same order: the
 * order is the label index every model uses) and feature space; empty when it matches.
 */
export function featureSetMismatches(spec: FederationSpec, set: FeatureSet, source: string): string[] {
  const problems: string[] = [];
  const sameClasses =
    set.classNames.length === spec.classNames.length && set.classNames.every((name, i) => name === spec.classNames[i]);
  if (!sameClasses) {
    const missing = spec.classNames.filter((name) => !set.classNames.includes(name));
    const extra = set.classNames.filter((name) => !spec.classNames.includes(name));
    const difference = [
      ...(missing.length > 0 ? [`lacks ${listed(missing)}`] : []),
      ...(extra.length > 0 ? [`has ${listed(extra)} the federation does not`] : []),
    ];
    problems.push(
      `features: ${source} has classes ${listed(set.classNames)}, the federation's are ${listed(spec.classNames)} (${difference.length > 0 ? difference.join(' and ') : 'same classes in another order'}): re-import the corpus with --classes ${spec.classNames.join(',')} (emodb, iemocap: the --task with these classes)`,
    );
  }
  if (!sameFeatureSpace(set.spec, spec.featureSpec)) {
    const theirs = spec.featureSpec;
    problems.push(
      `features: ${source} holds ${set.spec.name} v${set.spec.version} features (${set.spec.dimensionNames.length} dims), the federation's are ${theirs.name} v${theirs.version} (${theirs.dimensionNames.length} dims${theirs.name === set.spec.name && theirs.version === set.spec.version ? ', other parameters or dimension names' : ''}): re-import the corpus with the federation's feature extractor`,
    );
  }
  return problems;
}
