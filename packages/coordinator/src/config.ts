import { dirname, resolve } from 'node:path';
import {
  Type,
  type Static,
  type TArray,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TObject,
  type TOptional,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import {
  AuditPolicySchema,
  DEFAULT_LATENT_RADIUS,
  readJsonFile,
  RoundSettingsSchema,
  validateConfig,
} from '@emodistill/core/federation';

const PublicKey = Type.String({
  pattern: '^[A-Za-z0-9+/]{43}=$',
  description: 'Ed25519 public key, base64 (as printed by `emodistill keys generate`)',
});

/**
 * The coordinator's config file (JSON). Paths are relative to the file. Defaults are for a small
 * federation on one network: 2 sites make a round, 10 minutes per round, FedAvg.
 */
export const CoordinatorConfigSchema: TObject<{
  listen: TObject<{ host: TString; port: TInteger }>;
  dataDir: TString;
  keyFile: TString;
  adminPublicKeys: TArray<TString>;
  sites: TArray<TObject<{ id: TString; publicKey: TString }>>;
  model: TObject<{
    classNames: TArray<TString>;
    featureDimension: TInteger;
    noiseDimension: TInteger;
    hiddenUnits: TArray<TInteger>;
    seed: TInteger;
  }>;
  training: TObject<(typeof RoundSettingsSchema)['properties'] & { latentRadius: TNumber }>;
  strategy: TObject<{
    name: TUnion<[TLiteral<'fed-avg'>, TLiteral<'fed-median'>, TLiteral<'fed-trimmed-avg'>]>;
    trimFraction: TNumber;
    clipNorm: TNumber;
  }>;
  rounds: TObject<{
    auto: TInteger;
    minSites: TInteger;
    timeoutSeconds: TNumber;
    reconnectGraceSeconds: TNumber;
    statisticsWaitSeconds: TNumber;
  }>;
  limits: TObject<{
    maxPayloadBytes: TInteger;
    maxUpdateNorm: TNumber;
    maxExamplesPerSite: TInteger;
    maxUploadBytesInFlight: TInteger;
  }>;
  tls: TOptional<TObject<{ certFile: TString; keyFile: TString }>>;
  auditPolicy: TObject<(typeof AuditPolicySchema)['properties']>;
}> = Type.Object(
  {
    listen: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8470 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** SQLite database, accepted updates and global versions live here. */
    dataDir: Type.String({ minLength: 1 }),
    /** The coordinator's own key file (signs announcements and exported bundles). */
    keyFile: Type.String({ minLength: 1 }),
    /** Operators allowed to drive rounds and manage sites through the admin API. */
    adminPublicKeys: Type.Array(PublicKey, { minItems: 1 }),
    /** Initial allow-list; `emodistill sites add|revoke` changes it at run time (a revocation survives restarts). */
    sites: Type.Array(
      Type.Object(
        { id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), publicKey: PublicKey },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    model: Type.Object(
      {
        classNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 2 }),
        /** Feature dimension every site's feature set must have (224 for the default extractor). */
        featureDimension: Type.Integer({ minimum: 1 }),
        noiseDimension: Type.Integer({ minimum: 1, default: 64 }),
        hiddenUnits: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, default: [256, 256] }),
        /** Seed of the initial generator weights. */
        seed: Type.Integer({ default: 0 }),
      },
      { additionalProperties: false },
    ),
    /** What each site does per round (the round plan, core's protocol/round-plan.ts), and the latent regions. */
    training: Type.Object(
      {
        ...RoundSettingsSchema.properties,
        /** Each statistics-round site trains its own region of the latent space, this far out (0 = all share N(0, I)); see core's latent-prior.ts. */
        latentRadius: Type.Number({ minimum: 0, default: DEFAULT_LATENT_RADIUS }),
      },
      { additionalProperties: false, default: {} },
    ),
    strategy: Type.Object(
      {
        name: Type.Union([Type.Literal('fed-avg'), Type.Literal('fed-median'), Type.Literal('fed-trimmed-avg')], {
          default: 'fed-avg',
        }),
        /** β of the trimmed mean: the share cut at each end per coordinate. */
        trimFraction: Type.Number({ minimum: 0, exclusiveMaximum: 0.5, default: 0.2 }),
        /** Scale each update down to this global L2 norm before aggregating (0 = off). */
        clipNorm: Type.Number({ minimum: 0, default: 0 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rounds: Type.Object(
      {
        /** Training rounds to run on their own once enough sites are connected (0: wait for `emodistill round start`). */
        auto: Type.Integer({ minimum: 0, default: 0 }),
        /** Accepted updates a round needs to close (quorum). */
        minSites: Type.Integer({ minimum: 1, default: 2 }),
        timeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 600 }),
        /** How long a participant may stay disconnected before the round stops waiting for it. */
        reconnectGraceSeconds: Type.Number({ minimum: 0, default: 10 }),
        /**
         * Once quorum is connected, how long the statistics round (round 0) waits for the rest of
         * the allow-list: a site that misses it is left out of the standardisation and gets no
         * latent region. It opens at once when every allowed site is connected.
         */
        statisticsWaitSeconds: Type.Number({ minimum: 0, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        maxPayloadBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
        /** Bound on an update's global L2 norm; larger updates are rejected. */
        maxUpdateNorm: Type.Number({ exclusiveMinimum: 0, default: 1000 }),
        /** Bound on an update's `numExamples` (it weights aggregation and the statistics round). */
        maxExamplesPerSite: Type.Integer({ minimum: 1, default: 10_000_000 }),
        /**
         * Upload bytes being received at once (authenticated uploads only; each reserves its
         * Content-Length, or maxPayloadBytes when it sends none). Past it: 503 with Retry-After.
         */
        maxUploadBytesInFlight: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * The federation's one release policy (τ, memorisation excess, interval level, permutations,
     * required attacks): sites fetch it signed before they audit, and an attestation made under a
     * weaker one is refused.
     */
    auditPolicy: Type.Object(AuditPolicySchema.properties, { additionalProperties: false, default: {} }),
    /** https/wss when set (PEM files). */
    tls: Type.Optional(
      Type.Object({ certFile: Type.String(), keyFile: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

/** The validated config (see the schema above for units and defaults). */
export type CoordinatorConfig = Readonly<Static<typeof CoordinatorConfigSchema>>;

/** Fills defaults and validates; an error names the file and the field. Relative paths resolve against `baseDir`. */
export function resolveCoordinatorConfig(raw: unknown, source: string, baseDir: string): CoordinatorConfig {
  const config = validateConfig(CoordinatorConfigSchema, raw, source) as CoordinatorConfig;
  return {
    ...config,
    dataDir: resolve(baseDir, config.dataDir),
    keyFile: resolve(baseDir, config.keyFile),
    ...(config.tls && {
      tls: { certFile: resolve(baseDir, config.tls.certFile), keyFile: resolve(baseDir, config.tls.keyFile) },
    }),
  };
}

export async function loadCoordinatorConfig(path: string): Promise<CoordinatorConfig> {
  return resolveCoordinatorConfig(await readJsonFile(path, 'coordinator config'), path, dirname(resolve(path)));
}
