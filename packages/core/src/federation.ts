/**
 * `@emodistill/core/federation`: what a coordinator needs and nothing that trains — the wire
 * protocol and round plan, signing, aggregation, bundle and safetensors formats, the generator's
 * architecture, initial weights and latent regions. Loads no tfjs (a test keeps it so).
 */
export { ERROR_CODES, EmodistillError, toEmodistillError } from './errors.js';
export { FeatureSpecSchema, sameFeatureSpace } from './features/feature-spec.js';
export { createRng, cryptoRng, shuffledIndices } from './random/rng.js';
export { applyStandardiser, fitStandardiser } from './stats/standardise.js';
export { resolveDistillConfig } from './generator/distill-config.js';
export { DISTILL_METHODS, methodPreset } from './generator/distill-methods.js';
export { withDifferentialPrivacy } from './generator/private-training.js';
export type { PrivateTrainingOptions } from './generator/private-training.js';
export type { DistillMethod, MethodPreset } from './generator/distill-methods.js';
export { DEFAULT_LATENT_RADIUS, latentOffsetOf, siteLatentPrior } from './generator/latent-prior.js';
export {
  assertBundleMatches,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  GENERATOR_BUNDLE_FORMAT_VERSION,
  readGeneratorBundle,
  signGeneratorBundle,
  snapshotSha256,
  verifyGeneratorBundle,
  writeGeneratorBundle,
} from './formats/generator-bundle.js';
export {
  buildAggregatedBundle,
  buildInitialBundle,
  privacyBudgetBreaches,
  sitePrivacyOf,
} from './formats/federated-bundle.js';
export { decodeSafetensors, encodeSafetensors } from './formats/safetensors.js';
export { aggregateWeightedMean } from './aggregation/weighted-mean.js';
export { aggregateCoordinateMedian } from './aggregation/coordinate-median.js';
export { aggregateTrimmedMean } from './aggregation/trimmed-mean.js';
export { clipByGlobalNorm, globalNorm } from './aggregation/norm-clip.js';
export { combineMoments, computeMoments } from './aggregation/moments.js';
export { assertSameLayout } from './aggregation/layout.js';
export { measureUpdateDrift } from './aggregation/drift.js';
export { checkMessage } from './protocol/messages.js';
export {
  composeCurves,
  epsilonFromRdp,
  epsilonOf,
  groupPrivacy,
  noiseMultiplierFor,
  RDP_CONVERSIONS,
  RDP_ORDERS,
  rdpCurve,
  subsampledGaussianRdp,
} from './privacy/rdp-accountant.js';
export type { PrivacySpend, RdpConversion } from './privacy/rdp-accountant.js';
export { accountTrainingPrivacy, privateStepCount, TrainingPrivacySchema } from './privacy/training-privacy.js';
export type { TrainingPrivacy } from './privacy/training-privacy.js';
export {
  DEFAULT_MOMENTS_NOISE_MULTIPLIER,
  privateMoments,
  privateMomentsMechanism,
  privateMomentsRowsNeeded,
} from './privacy/private-moments.js';
export type { PrivateMoments, PrivateMomentsOptions } from './privacy/private-moments.js';
export {
  checkRoundPlan,
  planRound,
  ROUND_PLAN_VERSION,
  RoundDistillSchema,
  RoundPlanSchema,
  RoundSettingsSchema,
} from './protocol/round-plan.js';
export {
  AdminStatusSchema,
  ErrorReplySchema,
  httpStatusOf,
  PublicStatusSchema,
  readErrorReply,
  REPLY_CODES,
  RoundViewSchema,
  SiteViewSchema,
  UpdateAcceptedSchema,
  VersionViewSchema,
} from './protocol/wire-replies.js';
export {
  RefusalSummarySchema,
  RefusalViewSchema,
  ReleaseStateSchema,
  RoundDriftViewSchema,
  RoundHistoryEntrySchema,
  RoundHistorySchema,
  SiteActivitySchema,
  SiteReleaseViewSchema,
  SitesActivitySchema,
  UpdateViewSchema,
} from './protocol/admin-views.js';
export { DistillConfigSchema } from './generator/distill-config.js';
export { PROTOCOL } from './protocol/transport.js';
export { checkConfig, readJsonFile, validateConfig } from './io/json-config.js';
export { ATTESTATION_VERSION, AttestationSchema, judgeAttestation, verifyAttestation } from './protocol/attestation.js';
export {
  AuditFiguresSchema,
  AuditPolicySchema,
  decideVerdict,
  DEFAULT_AUDIT_POLICY,
  MEMBERSHIP_ATTACKS,
  policyWeaknesses,
  strictestPolicy,
} from './protocol/audit-policy.js';
export { AUTH_HEADER, REQUEST_MAX_SKEW_MS, signRequest, verifyRequest } from './protocol/request-auth.js';
export { initialGeneratorWeights } from './generator/initial-weights.js';
export { UPDATE_REJECTIONS, validateUpdate, validateUpdateHeader } from './protocol/validate-update.js';
export {
  canonicalBytes,
  encodeKey,
  generateKeyPair,
  readKeyFile,
  signBytes,
  verifyBytes,
  writeKeyFile,
} from './crypto/signing.js';

export type { ErrorCode } from './errors.js';
export type { FeatureExtractor, FeatureSpec } from './features/feature-spec.js';
export type { Rng } from './random/rng.js';
export type { Standardiser } from './stats/standardise.js';
export type { DistillConfig, DistillOptions } from './generator/distill-config.js';
export type { LatentComponent, LatentPrior } from './generator/latent-prior.js';
export type {
  BundleSignature,
  FederationProvenance,
  SitePrivacy,
  GeneratorBundle,
  GeneratorBundleMetadata,
  SamplingDefaults,
} from './formats/generator-bundle.js';
export type { AggregatedBundleOptions, InitialBundleOptions, SiteStatistics } from './formats/federated-bundle.js';
export type { GeneratorArchitecture } from './generator/initial-weights.js';
export type { FeatureMoments } from './aggregation/moments.js';
export type { UpdateDrift } from './aggregation/drift.js';
export type { KeyPair } from './crypto/signing.js';
export type {
  FederationFinished,
  ReleasePolicy,
  RequestAuth,
  RoundAnnouncement,
  RoundFailed,
  Signed,
  SignedUpdate,
  UpdateHeader,
} from './protocol/messages.js';
export type { Attestation, AttestationBody } from './protocol/attestation.js';
export type {
  AttackVerdict,
  AuditFigures,
  AuditPolicy,
  MembershipAttack,
  Verdict,
  VerdictDecision,
} from './protocol/audit-policy.js';
export type { RequestToSign, RequestVerdict, RequestVerification } from './protocol/request-auth.js';
export type {
  Rejection,
  UpdateContext,
  UpdateHeaderContext,
  UpdateHeaderVerdict,
  UpdateRejection,
  UpdateVerdict,
} from './protocol/validate-update.js';
export type { NamedTensor, WeightSnapshot } from './tensors/named-tensor.js';
export type { RoundDistillOptions, RoundPlan, RoundSettings } from './protocol/round-plan.js';
export type {
  RefusalSummary,
  RefusalView,
  ReleaseState,
  RoundDriftView,
  RoundHistoryEntry,
  SiteActivity,
  SiteReleaseView,
  SitesActivity,
  UpdateView,
} from './protocol/admin-views.js';
export type {
  AdminStatus,
  ErrorReply,
  PublicStatus,
  ReplyCode,
  RoundView,
  SiteView,
  UpdateAccepted,
  VersionView,
} from './protocol/wire-replies.js';
