import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as federation from './federation.js';
import * as core from './index.js';
import * as learning from './learning.js';
import * as speech from './speech.js';

/*
 * The value exports of each entry point in package.json#exports, sorted. Update a list deliberately
 * when the API changes, so the change shows up in review.
 */

/** `@emodistill/core/federation` (no tfjs). */
const FEDERATION = [
  'ATTESTATION_VERSION',
  'AUTH_HEADER',
  'AdminStatusSchema',
  'AttestationSchema',
  'AuditFiguresSchema',
  'AuditPolicySchema',
  'DEFAULT_AUDIT_POLICY',
  'DEFAULT_LATENT_RADIUS',
  'DEFAULT_MOMENTS_NOISE_MULTIPLIER',
  'DISTILL_METHODS',
  'DistillConfigSchema',
  'ERROR_CODES',
  'EmodistillError',
  'ErrorReplySchema',
  'FeatureSpecSchema',
  'GENERATOR_BUNDLE_FORMAT_VERSION',
  'MEMBERSHIP_ATTACKS',
  'PROTOCOL',
  'PublicStatusSchema',
  'RDP_CONVERSIONS',
  'RDP_ORDERS',
  'REPLY_CODES',
  'REQUEST_MAX_SKEW_MS',
  'ROUND_PLAN_VERSION',
  'RefusalSummarySchema',
  'RefusalViewSchema',
  'ReleaseStateSchema',
  'RoundDistillSchema',
  'RoundDriftViewSchema',
  'RoundHistoryEntrySchema',
  'RoundHistorySchema',
  'RoundPlanSchema',
  'RoundSettingsSchema',
  'RoundViewSchema',
  'SiteActivitySchema',
  'SiteReleaseViewSchema',
  'SiteViewSchema',
  'SitesActivitySchema',
  'TrainingPrivacySchema',
  'UPDATE_REJECTIONS',
  'UpdateAcceptedSchema',
  'UpdateViewSchema',
  'VersionViewSchema',
  'accountTrainingPrivacy',
  'aggregateCoordinateMedian',
  'aggregateTrimmedMean',
  'aggregateWeightedMean',
  'applyStandardiser',
  'assertBundleMatches',
  'assertSameLayout',
  'buildAggregatedBundle',
  'buildInitialBundle',
  'canonicalBytes',
  'checkConfig',
  'checkMessage',
  'checkRoundPlan',
  'clipByGlobalNorm',
  'combineMoments',
  'composeCurves',
  'computeMoments',
  'createRng',
  'cryptoRng',
  'decideVerdict',
  'decodeGeneratorBundle',
  'decodeSafetensors',
  'encodeGeneratorBundle',
  'encodeKey',
  'encodeSafetensors',
  'epsilonFromRdp',
  'epsilonOf',
  'fitStandardiser',
  'generateKeyPair',
  'globalNorm',
  'groupPrivacy',
  'httpStatusOf',
  'initialGeneratorWeights',
  'judgeAttestation',
  'latentOffsetOf',
  'measureUpdateDrift',
  'methodPreset',
  'noiseMultiplierFor',
  'planRound',
  'policyWeaknesses',
  'privacyBudgetBreaches',
  'privateMoments',
  'privateMomentsMechanism',
  'privateMomentsRowsNeeded',
  'privateStepCount',
  'rdpCurve',
  'readErrorReply',
  'readGeneratorBundle',
  'readJsonFile',
  'readKeyFile',
  'resolveDistillConfig',
  'sameFeatureSpace',
  'shuffledIndices',
  'signBytes',
  'signGeneratorBundle',
  'signRequest',
  'siteLatentPrior',
  'sitePrivacyOf',
  'snapshotSha256',
  'strictestPolicy',
  'subsampledGaussianRdp',
  'toEmodistillError',
  'validateConfig',
  'validateUpdate',
  'validateUpdateHeader',
  'verifyAttestation',
  'verifyBytes',
  'verifyGeneratorBundle',
  'verifyRequest',
  'withDifferentialPrivacy',
  'writeGeneratorBundle',
  'writeKeyFile',
];

/** `@emodistill/core/speech` (no tfjs). */
const SPEECH = [
  'EMODB_EMOTIONS',
  'EMODB_SPEAKER_SEX',
  'ERROR_CODES',
  'EmodistillError',
  'FEATURE_SET_FORMAT_VERSION',
  'FUNCTIONAL_NAMES',
  'PROSODIC_FUNCTIONALS_PARAMS',
  'createProsodicFunctionalsExtractor',
  'decodeWav',
  'extractFeatureSet',
  'featureSetFromArrow',
  'featureSetToArrow',
  'importEmbeddings',
  'labelIndices',
  'listEmodb',
  'listFolders',
  'listIemocap',
  'listManifest',
  'readFeatureSet',
  'readWavFile',
  'resample',
  'restrictClasses',
  'selectRows',
  'summarise',
  'summariseFeatureSet',
  'toEmodistillError',
  'writeFeatureSet',
];

/** `@emodistill/core/learning` (tfjs). */
const LEARNING = [
  'BACKEND_NAMES',
  'COMPUTE_PATHS',
  'CORESET_METHODS',
  'EMODB_FOLDS',
  'ERROR_CODES',
  'EmodistillError',
  'SAMPLE_LABELS',
  'SELECTION_METHODS',
  'ablationsOf',
  'applyLabeler',
  'applySnapshot',
  'assertCompatible',
  'confusionMatrix',
  'createDistillTrainer',
  'createGeneratorBundle',
  'createGeneratorNetwork',
  'createLabelerNetwork',
  'createMlp',
  'createRng',
  'disposeGenerator',
  'distill',
  'evaluateDownstream',
  'evaluateGeneratorStream',
  'foldsFor',
  'generateRows',
  'labelerOf',
  'loadGenerator',
  'meanAndStd',
  'pairedDifference',
  'parseFoldProtocol',
  'planClassCounts',
  'resolveClassifierConfig',
  'runDistillBenchmark',
  'sampleFeatureSet',
  'selectBackend',
  'selectByHerding',
  'selectCoreset',
  'setWasmMatmulOverrides',
  'shuffledIndices',
  'splitBySpeakers',
  'toEmodistillError',
  'toSnapshot',
  'trainClassifier',
  'trainClassifierOnStream',
  'trainLabeler',
  'trainSteps',
  'unweightedAverageRecall',
  'weightedAccuracy',
  'withLabelerProbabilities',
];

describe('@emodistill/core public API', () => {
  it('has the entry points this test snapshots, and no other', () => {
    // arrange
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, unknown>;
    };

    // act
    const entries = Object.keys(manifest.exports).sort();

    // assert
    expect(entries).toEqual(['.', './federation', './learning', './speech']);
  });

  it.each([
    ['@emodistill/core/federation', federation, FEDERATION],
    ['@emodistill/core/speech', speech, SPEECH],
    ['@emodistill/core/learning', learning, LEARNING],
  ])('%s exports exactly these values', (_entry, layer, expected) => {
    // arrange / act
    const names = Object.keys(layer).sort();

    // assert
    expect(names).toEqual(expected);
  });

  it('@emodistill/core exports exactly the values of its three layers, nothing of its own', () => {
    // arrange
    const layers = [...new Set([...FEDERATION, ...SPEECH, ...LEARNING])].sort();

    // act
    const names = Object.keys(core).sort();

    // assert
    expect(names).toEqual(layers);
  });
});
