import { dirname, resolve } from 'node:path';
import {
  Type,
  type Static,
  type TArray,
  type TLiteral,
  type TNumber,
  type TObject,
  type TOptional,
  type TString,
  type TUnion,
} from '@sinclair/typebox';
import {
  BACKEND_NAMES,
  COMPUTE_PATHS,
  readJsonFile,
  validateConfig,
  type BackendName,
  type ComputePath,
} from '@emodistill/core';

/** A site's config file (JSON); paths are relative to it. */
export const SiteConfigSchema: TObject<{
  siteId: TString;
  keyFile: TString;
  coordinator: TObject<{ url: TString; publicKey: TString }>;
  features: TString;
  auditHoldoutSpeakers: TArray<TString>;
  backend: TUnion<TLiteral<BackendName>[]>;
  compute: TUnion<TLiteral<ComputePath>[]>;
  finalBundle: TOptional<TString>;
  privacy: TObject<{ maxEpsilon: TOptional<TNumber>; ledger: TString; statisticsNoiseMultiplier: TOptional<TNumber> }>;
}> = Type.Object(
  {
    siteId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    /** This site's key file (`emodistill keys generate`); its public key is on the coordinator's allow-list. */
    keyFile: Type.String({ minLength: 1 }),
    coordinator: Type.Object(
      {
        /** http(s)://host:port; for a private CA, point NODE_EXTRA_CA_CERTS at its certificate. */
        url: Type.String({ pattern: '^https?://' }),
        /** The coordinator's public key (base64): every announcement and model must carry its signature. */
        publicKey: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }),
      },
      { additionalProperties: false },
    ),
    /** The site's private feature set (`emodistill corpus import`); it never leaves the site. */
    features: Type.String({ minLength: 1 }),
    /** Speakers kept out of training and statistics, for the privacy audit's membership test. */
    auditHoldoutSpeakers: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    backend: Type.Union(
      BACKEND_NAMES.map((name) => Type.Literal(name)),
      { default: 'auto' },
    ),
    /** The wasm backend's matmul (core selectBackend): onnxruntime when installed (auto), required, or never (wasm). */
    compute: Type.Union(
      COMPUTE_PATHS.map((name) => Type.Literal(name)),
      { default: 'auto' },
    ),
    /** Where to write the final global generator when the federation finishes (optional). */
    finalBundle: Type.Optional(Type.String({ minLength: 1 })),
    /** Differential privacy across rounds (DP-SGD settings come in the round plan; round 0's moments are set here). */
    privacy: Type.Object(
      {
        /**
         * The most ε per utterance (at the plan's δ) this site will spend over all rounds; a round
         * that would exceed it, or any round without DP, is refused before it reads a row. Absent: no budget.
         */
        maxEpsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        /** The ledger of every private release this site made (kept across restarts). */
        ledger: Type.String({ minLength: 1, default: 'privacy-ledger.json' }),
        /**
         * σ of round 0's private moments (core privateMoments; default 7: ε ≈ 1.58 at δ = 1e-5 by
         * itself). They are private whenever the round plan trains with DP or maxEpsilon is set.
         */
        statisticsNoiseMultiplier: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

/** The validated site config (see the schema above). */
export type SiteConfig = Readonly<Static<typeof SiteConfigSchema>>;

export function resolveSiteConfig(raw: unknown, source: string, baseDir: string): SiteConfig {
  const config = validateConfig(SiteConfigSchema, raw, source) as SiteConfig;
  return {
    ...config,
    keyFile: resolve(baseDir, config.keyFile),
    features: resolve(baseDir, config.features),
    ...(config.finalBundle && { finalBundle: resolve(baseDir, config.finalBundle) }),
    privacy: { ...config.privacy, ledger: resolve(baseDir, config.privacy.ledger) },
  };
}

export async function loadSiteConfig(path: string): Promise<SiteConfig> {
  return resolveSiteConfig(await readJsonFile(path, 'site config'), path, dirname(resolve(path)));
}
