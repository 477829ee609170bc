import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { epsilonFromRdp, epsilonOf, rdpCurve } from '../privacy/rdp-accountant.js';
import { expectEmodistillError } from '../../test/fixtures.js';
import { resolveDistillConfig } from './distill-config.js';
import { methodPreset } from './distill-methods.js';
import { privateStepCount, standardiserCurve } from '../privacy/training-privacy.js';
import { withDifferentialPrivacy } from './private-training.js';

describe('withDifferentialPrivacy', () => {
  it('turns off the terms outside the critic, names them, and gives settings the schema accepts', () => {
    const { options, turnedOff } = withDifferentialPrivacy(
      methodPreset('default').distill,
      { noiseMultiplier: 1.5 },
      4800,
    );
    expect(turnedOff).toEqual(expect.arrayContaining(['featureMatchingWeight', 'softmaxMatchingWeight']));
    const config = resolveDistillConfig(options);
    expect(config).toMatchObject({ batchSampling: 'poisson', dpClipNorm: 1, dpNoiseMultiplier: 1.5, dpDelta: 1e-5 });
    expect(config.featureMatchingWeight + config.softmaxMatchingWeight + config.poolMatchingWeight).toBe(0);
  });

  it('finds σ for a target ε on this many rows: 10,000 critic steps of batch 64 on 4,800 rows, ε 3.7 → σ ≈ 2', () => {
    const { options } = withDifferentialPrivacy(
      { steps: 2000, criticSteps: 5 },
      { epsilon: 3.7155, standardiserNoiseMultiplier: 0 },
      4800,
    );
    expect(options.dpNoiseMultiplier).toBeCloseTo(2, 2);
    const spent = epsilonOf(
      { samplingRate: 64 / 4800, noiseMultiplier: options.dpNoiseMultiplier!, steps: 10000 },
      1e-5,
    );
    expect(spent.epsilon).toBeLessThanOrEqual(3.7155);
  });

  it('keeps L_FM with a feature clip norm, and the accountant counts its class means as one more private step per generator step', () => {
    // arrange
    const preset = methodPreset('default').distill;

    // act
    const exactStandardiser = { standardiserNoiseMultiplier: 0 };
    const withFm = withDifferentialPrivacy(preset, { epsilon: 3, featureClipNorm: 10, ...exactStandardiser }, 4800);
    const withoutFm = withDifferentialPrivacy(preset, { epsilon: 3, ...exactStandardiser }, 4800);

    // assert
    expect(withFm.turnedOff).not.toContain('featureMatchingWeight');
    const config = resolveDistillConfig(withFm.options);
    expect(config.featureMatchingWeight).toBeGreaterThan(0);
    expect(config.dpFeatureClipNorm).toBe(10);
    expect(privateStepCount(config, 2000)).toBe(2000 * (config.criticSteps + 1));
    // Six private reads per generator step instead of five need more noise for the same ε.
    expect(withFm.options.dpNoiseMultiplier!).toBeGreaterThan(withoutFm.options.dpNoiseMultiplier!);
    const spent = epsilonOf(
      {
        samplingRate: 64 / 4800,
        noiseMultiplier: withFm.options.dpNoiseMultiplier!,
        steps: privateStepCount(config, 2000),
      },
      1e-5,
    );
    expect(spent.epsilon).toBeLessThanOrEqual(3);
    expect(spent.epsilon).toBeGreaterThan(2.9);
  });

  it('leaves room in ε for the private standardiser: σ for the training is found with its releases composed', () => {
    // act
    const { options } = withDifferentialPrivacy({ steps: 2000, criticSteps: 5 }, { epsilon: 3.7155 }, 4800);

    // assert
    const config = resolveDistillConfig(options);
    // ε 3.7 / 4 is below what σ 7 costs (1.58): the standardiser gets more noise.
    expect(config.dpStandardiserNoiseMultiplier).toBeGreaterThan(7);
    expect(epsilonFromRdp(standardiserCurve(config), 1e-5).epsilon).toBeLessThanOrEqual(3.7155 / 4);
    expect(options.dpNoiseMultiplier!).toBeGreaterThan(2.01);
    const curve = rdpCurve({ samplingRate: 64 / 4800, noiseMultiplier: options.dpNoiseMultiplier!, steps: 10000 }).map(
      (rdp, i) => rdp + standardiserCurve(config)[i]!,
    );
    const spent = epsilonFromRdp(curve, 1e-5).epsilon;
    expect(spent).toBeLessThanOrEqual(3.7155);
    expect(spent).toBeGreaterThan(3.7);
  });

  it('at a small target ε gives the standardiser more noise (a quarter of ε), and says how when it is told a σ that cannot fit', async () => {
    // act
    const { options } = withDifferentialPrivacy({ steps: 2000, criticSteps: 5 }, { epsilon: 1 }, 4800);

    // assert
    const config = resolveDistillConfig(options);
    expect(config.dpStandardiserNoiseMultiplier).toBeGreaterThan(7);
    const standardiserAlone = epsilonFromRdp(standardiserCurve(config), 1e-5).epsilon;
    expect(standardiserAlone).toBeLessThanOrEqual(0.25);
    expect(standardiserAlone).toBeGreaterThan(0.24);
    const total = rdpCurve({ samplingRate: 64 / 4800, noiseMultiplier: options.dpNoiseMultiplier!, steps: 10000 }).map(
      (rdp, i) => rdp + standardiserCurve(config)[i]!,
    );
    expect(epsilonFromRdp(total, 1e-5).epsilon).toBeLessThanOrEqual(1);
    await expectEmodistillError(
      () => withDifferentialPrivacy({}, { epsilon: 1, standardiserNoiseMultiplier: 7 }, 4800),
      ERROR_CODES.invalidOption,
      'standardiser at σ 7 alone costs ε = 1.58; raise its noise (--dp-standardiser-noise ',
    );
  });

  it('needs exactly one of σ and ε', async () => {
    await expectEmodistillError(() => withDifferentialPrivacy({}, {}, 100), ERROR_CODES.invalidOption, 'exactly one');
    await expectEmodistillError(
      () => withDifferentialPrivacy({}, { epsilon: 1, noiseMultiplier: 1 }, 100),
      ERROR_CODES.invalidOption,
      'exactly one',
    );
  });
});
