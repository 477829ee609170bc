import { FEDERATION_SPEC_FILE, type FederationSpec } from './federation-spec.js';

/**
 * What `federation init` writes into each site's kit besides the federation spec: a site config
 * template and a README of the site's next steps. Pure functions of the federation.
 */

/** File names in a site kit, as the template and README name them. */
export const SITE_KIT_FILES = {
  config: 'site.json',
  key: 'site.key',
  features: 'features.arrow',
  readme: 'README.md',
  /** The coordinator's TLS certificate, when it serves https. */
  certificate: 'coordinator-cert.pem',
} as const;

/** A valid site config that pins the federation's coordinator; the site fills in its data and holdout. */
export function siteConfigTemplate(siteId: string, spec: FederationSpec): Record<string, unknown> {
  return {
    siteId,
    keyFile: SITE_KIT_FILES.key,
    coordinator: spec.coordinator,
    features: SITE_KIT_FILES.features,
    auditHoldoutSpeakers: [],
    backend: 'auto',
    compute: 'auto',
    finalBundle: 'global.bundle',
  };
}

/** The kit's README: what the site does next, in order. */
export function siteKitReadme(siteId: string, spec: FederationSpec, withCertificate: boolean): string {
  const { featureSpec } = spec;
  const { config, key, features } = SITE_KIT_FILES;
  const extraCa = withCertificate ? `NODE_EXTRA_CA_CERTS=${SITE_KIT_FILES.certificate} ` : '';
  return `# Site kit: ${siteId}

This folder joins the site \`${siteId}\` to an emodistill federation. It holds no secret: the
coordinator's operator made it without a key for this site, because whoever holds a site's secret
key can sign that site's model updates and audit attestations. This site makes its own key, and
only its public key leaves the site.

- \`${FEDERATION_SPEC_FILE}\`: the federation's spec: classes (in model order)
  ${spec.classNames.map((name) => `\`${name}\``).join(', ')}; features \`${featureSpec.name}\` v${featureSpec.version}
  (${featureSpec.dimensionNames.length} dimensions); the coordinator \`${spec.coordinator.url}\` and its
  public key \`${spec.coordinator.publicKey}\`, which this site pins (check it with the operator by
  another channel, e.g. by phone).
- \`${config}\`: this site's config, to complete.${withCertificate ? `\n- \`${SITE_KIT_FILES.certificate}\`: the coordinator's TLS certificate, for a private CA or a self-signed one.` : ''}

## Next steps

1. Make this site's key (mode 0600, never overwritten) and send the printed public key to the
   operator, with this site's id \`${siteId}\`:

   \`\`\`sh
   emodistill keys generate --out ${key}
   \`\`\`

2. Import the site's corpus with the federation's classes and feature extractor (\`--classes\` for the
   manifest, folders and embeddings formats; emodb and iemocap take the \`--task\` with these classes).
   The private data and the feature set never leave the site:

   \`\`\`sh
   emodistill corpus import <format> <path> --classes ${spec.classNames.join(',')} --out ${features}
   \`\`\`

3. Edit \`${config}\`: \`features\` if the feature set is elsewhere, and \`auditHoldoutSpeakers\`: speakers
   kept out of training, so that the privacy audit can test membership.

4. Once the operator confirms the key was added, check everything without joining: the config,
   the key, the feature set against \`${FEDERATION_SPEC_FILE}\`, and that the coordinator answers
   signed by the pinned key and accepts this site's key (exit 0 when fine, 1 with every problem):

   \`\`\`sh
   ${extraCa}emodistill site check --config ${config}
   \`\`\`

5. Join and train in the federation's rounds:

   \`\`\`sh
   ${extraCa}emodistill site join --config ${config}
   \`\`\`

6. When the federation finishes, audit the final generator on this site's data and send the signed
   attestation (the release needs every training site's passing attestation):

   \`\`\`sh
   ${extraCa}emodistill site audit --config ${config}
   \`\`\`
`;
}
