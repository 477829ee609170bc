export { AUDIT_REPORT_VERSION, runAudit } from './audit.js';
export { signAttestation, verifyAttestation } from './attestation.js';
export { DEFAULT_GATE, evaluateGate } from './gate.js';
export { bootstrap } from './metrics/bootstrap.js';
export { measureMemorisation } from './metrics/dcr.js';
export { nearestDistances } from './metrics/distances.js';
export { inferMembership } from './metrics/membership-inference.js';
export { rocAuc, rocCurve, tprAtFpr } from './metrics/roc.js';
export { probeEmotionModelRepresentations, probeSyntheticSpeakerInformation } from './metrics/speaker-probe.js';

export type { AuditOptions, AuditReport } from './audit.js';
export type { Attestation, AttestationBody } from './attestation.js';
export type { GateCheck, GateConfig, GateInputs } from './gate.js';
export type { BootstrapOptions, Estimate } from './metrics/bootstrap.js';
export type { MemorisationResult } from './metrics/dcr.js';
export type { Rows } from './metrics/distances.js';
export type { AttackResult, LabelledRows, MembershipResult } from './metrics/membership-inference.js';
export type { RocPoint } from './metrics/roc.js';
export type { RepresentationProbeResult, SpeakerProbeResult } from './metrics/speaker-probe.js';
