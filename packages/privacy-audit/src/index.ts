export { AUDIT_REPORT_VERSION, runAudit, speakersNeededSentence } from './audit.js';
export { signAttestation, verifyAttestation } from './attestation.js';
export { renderAuditHtml } from './report/html.js';
export { lineChart, pathChart } from './report/svg.js';
export { PRIVACY_AUDIT_ERRORS, PrivacyAuditError } from './errors.js';
export { bootstrap } from './metrics/bootstrap.js';
export { measureMemorisation } from './metrics/dcr.js';
export { nearestDistances } from './metrics/distances.js';
export { inferMembership } from './metrics/membership-inference.js';
export {
  balancedSpeakersNeeded,
  holdoutSpeakersNeeded,
  midRanks,
  speakerPermutationNull,
} from './metrics/permutation-null.js';
export { rocAuc, rocCurve, tprAtFpr } from './metrics/roc.js';
export { probeEmotionModelRepresentations, probeSyntheticSpeakerInformation } from './metrics/speaker-probe.js';

export type { AuditOptions, AuditReport, AuditVerdict, EmbeddedPoint } from './audit.js';
export type { Attestation, AttestationBody } from './attestation.js';
export type { PrivacyAuditErrorCode } from './errors.js';
export type { BootstrapOptions, Estimate } from './metrics/bootstrap.js';
export type { MemorisationResult } from './metrics/dcr.js';
export type { Rows } from './metrics/distances.js';
export type {
  AttackResult,
  LabelledRows,
  MembershipOptions,
  MembershipResult,
} from './metrics/membership-inference.js';
export type { PowerLimit } from './metrics/permutation-null.js';
export type { RocPoint } from './metrics/roc.js';
export type { Series } from './report/svg.js';
export type { RepresentationProbeResult, SpeakerProbeResult } from './metrics/speaker-probe.js';
