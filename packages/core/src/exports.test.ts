import { describe, expect, it } from 'vitest';
import * as core from './index.js';

describe('@emodistill/core public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    // arrange / act
    const names = Object.keys(core).sort();

    // assert
    expect(names).toEqual([
      'BACKEND_NAMES',
      'EMODB_EMOTIONS',
      'EMODB_FOLDS',
      'EMODB_SPEAKER_SEX',
      'ERROR_CODES',
      'EmodistillError',
      'FEATURE_SET_FORMAT_VERSION',
      'FUNCTIONAL_NAMES',
      'PROSODIC_FUNCTIONALS_PARAMS',
      'applyStandardiser',
      'assertCompatible',
      'confusionMatrix',
      'createMlp',
      'createProsodicFunctionalsExtractor',
      'createRng',
      'decodeWav',
      'evaluateDownstream',
      'extractFeatureSet',
      'featureSetFromArrow',
      'featureSetToArrow',
      'fitStandardiser',
      'importEmbeddings',
      'installWasmMatmulOverrides',
      'labelIndices',
      'listEmodb',
      'listFolders',
      'listIemocap',
      'listManifest',
      'meanAndStd',
      'readFeatureSet',
      'readWavFile',
      'resample',
      'resolveClassifierConfig',
      'restrictClasses',
      'sameFeatureSpace',
      'selectBackend',
      'selectRows',
      'shuffledIndices',
      'splitBySpeakers',
      'summarise',
      'summariseFeatureSet',
      'toEmodistillError',
      'trainClassifier',
      'unweightedAverageRecall',
      'weightedAccuracy',
      'writeFeatureSet',
    ]);
  });
});
