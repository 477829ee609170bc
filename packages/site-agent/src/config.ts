import { dirname, resolve } from 'node:path';
import {
  Type,
  type Static,
  type TArray,
  type TLiteral,
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
const SiteConfigSchema: TObject<{
  siteId: TString;
  keyFile: TString;
  coordinator: TObject<{ url: TString; publicKey: TString }>;
  features: TString;
  auditHoldoutSpeakers: TArray<TString>;
  backend: TUnion<TLiteral<BackendName>[]>;
  compute: TUnion<TLiteral<ComputePath>[]>;
  finalBundle: TOptional<TString>;
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
  };
}

export async function loadSiteConfig(path: string): Promise<SiteConfig> {
  return resolveSiteConfig(await readJsonFile(path, 'site config'), path, dirname(resolve(path)));
}
