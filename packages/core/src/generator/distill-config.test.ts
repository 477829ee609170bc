import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { resolveDistillConfig, type DistillOptions } from './distill-config.js';

describe('resolveDistillConfig', () => {
  it('fills the documented defaults', () => {
    // arrange / act
    const config = resolveDistillConfig();

    // assert
    expect(config).toEqual({
      steps: 2000,
      batchSize: 64,
      criticSteps: 5,
      noiseDimension: 64,
      hiddenUnits: [256, 256],
      generatorLearningRate: 1e-4,
      criticLearningRate: 1e-4,
      gradientPenaltyWeight: 10,
      featureMatchingWeight: 0.01,
      softmaxMatchingWeight: 1,
      diversityWeight: 0.1,
      poolMatchingWeight: 0,
      speakerInvarianceWeight: 0,
      batchSampling: 'balanced',
      dpClipNorm: 0,
      dpNoiseMultiplier: 0,
      dpFeatureClipNorm: 0,
      dpStandardiserNoiseMultiplier: 7,
      dpDelta: 1e-5,
      poolSize: 3,
      poolRefreshSteps: 500,
      poolEpochs: 30,
      poolMaxSteps: 600,
      emaDecay: 0,
      labelerHiddenUnits: [],
      seed: 0,
    });
  });

  it('keeps given values, allows a zero weight (ablation) and leaves the options unchanged', () => {
    // arrange
    const options: DistillOptions = { hiddenUnits: [16], diversityWeight: 0, steps: 3 };

    // act
    const config = resolveDistillConfig(options);

    // assert
    expect(config).toMatchObject({ hiddenUnits: [16], diversityWeight: 0, steps: 3, batchSize: 64 });
    expect(options).toEqual({ hiddenUnits: [16], diversityWeight: 0, steps: 3 });
    expect(config.hiddenUnits).not.toBe(options.hiddenUnits);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a negative loss weight', { featureMatchingWeight: -0.5 }, ['featureMatchingWeight', '-0.5']],
    ['an unknown field', { stepz: 10 }, ['stepz']],
    ['a fractional step count', { steps: 1.5 }, ['steps', '1.5']],
    ['a zero learning rate', { criticLearningRate: 0 }, ['criticLearningRate']],
    ['an empty hidden layer list', { hiddenUnits: [] }, ['hiddenUnits']],
    ['a zero-width hidden layer', { hiddenUnits: [8, 0] }, ['hiddenUnits/1']],
    ['a batch of one row', { batchSize: 1 }, ['batchSize']],
    ['a string where a number belongs', { seed: '3' }, ['seed']],
  ])('refuses %s with INVALID_OPTION naming the field', async (_, options, fragments) => {
    // arrange / act / assert
    await expectEmodistillError(
      () => resolveDistillConfig(options as DistillOptions),
      ERROR_CODES.invalidOption,
      ...fragments,
    );
  });
});
