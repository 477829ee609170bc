import {
  checkMessage,
  judgeAttestation,
  type Attestation,
  type AuditPolicy,
  type SiteReleaseView,
} from '@emodistill/core/federation';

/** A site's attestation as the store keeps it. */
export interface StoredAttestation {
  readonly siteId: string;
  readonly attestation: Attestation;
}

/**
 * The attestations that count and are published: those of the current format (a stored version 1
 * one names a site's local path; older formats are never judged).
 */
export function currentAttestations(stored: readonly StoredAttestation[]): StoredAttestation[] {
  return stored.filter((a) => checkMessage('attestation', a.attestation).ok);
}

/**
 * The release gate: granted only when every site that trained the generator audited it under a
 * policy at least as strict as the federation's (judged again now: it may have been tightened) and
 * its verdict is PASS. Each site says why it holds the release back, if it does.
 */
export function judgeRelease(
  trainers: readonly string[],
  attestations: readonly StoredAttestation[],
  policy: AuditPolicy,
): { granted: boolean; sites: SiteReleaseView[] } {
  const bySite = new Map(attestations.map((a) => [a.siteId, a.attestation.body]));
  const sites = trainers.map((siteId): SiteReleaseView => {
    const body = bySite.get(siteId);
    if (!body) return { siteId, attestation: null, policyProblems: [], blocking: `${siteId} (no attestation)` };
    const outcome = judgeAttestation(body, policy);
    if (!outcome.ok)
      return {
        siteId,
        attestation: body,
        policyProblems: outcome.reasons,
        blocking: `${siteId} (refused under the current policy: ${outcome.reasons.join('; ')})`,
      };
    return {
      siteId,
      attestation: body,
      policyProblems: [],
      blocking: outcome.verdict === 'pass' ? null : `${siteId} (${outcome.verdict.toUpperCase()}: ${body.reason})`,
    };
  });
  return { granted: sites.every((s) => s.blocking === null), sites };
}
