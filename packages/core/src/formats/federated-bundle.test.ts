import { describe, expect, it } from 'vitest';
import { expectEmodistillError } from '../../test/fixtures.js';
import { combineMoments } from '../aggregation/moments.js';
import { ERROR_CODES } from '../errors.js';
import { initialGeneratorWeights } from '../generator/initial-weights.js';
import { siteLatentPrior } from '../generator/latent-prior.js';
import {
  buildAggregatedBundle,
  privacyBudgetBreaches,
  sitePrivacyOf,
  buildInitialBundle,
  type InitialBundleOptions,
  type SiteStatistics,
} from './federated-bundle.js';
import { decodeGeneratorBundle, encodeGeneratorBundle, type GeneratorBundle } from './generator-bundle.js';
import { encodeSafetensors } from './safetensors.js';

const SPEC = { name: 'synthetic', version: '1', params: { hop: 160 }, dimensionNames: ['f0', 'f1', 'f2'] };
const ARCHITECTURE = { noiseDimension: 4, hiddenUnits: [5], classCount: 2, outputDimension: 3 };

function site(siteId: string, numExamples: number, offset: number, speakers = 2): SiteStatistics {
  return {
    siteId,
    numExamples,
    mean: Float32Array.from([offset, 2 * offset, -offset]),
    variance: Float32Array.from([1, 4, 0.25]),
    featureSpec: SPEC,
    speakers,
  };
}

function initialOptions(overrides: Partial<InitialBundleOptions> = {}): InitialBundleOptions {
  return {
    sites: [site('site-a', 30, 1, 3), site('site-b', 10, 5, 1)],
    architecture: ARCHITECTURE,
    classNames: ['angry', 'sad'],
    seed: 7,
    latentRadius: 8,
    trainingConfig: { localSteps: 20, learningRate: 0.001 },
    strategy: 'fed-avg',
    statisticsRound: 0,
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A delta of `step` everywhere, in the generator's layout. */
const uniformDelta = (step: number) =>
  initialGeneratorWeights(ARCHITECTURE, 0).map((t) => ({ ...t, values: new Float32Array(t.values.length).fill(step) }));

describe('buildInitialBundle', () => {
  it("combines the sites' moments, seeds the weights, gives each site a latent region and records the federation", () => {
    // arrange
    const options = initialOptions();

    // act
    const bundle = buildInitialBundle(options);

    // assert
    const sites = options.sites;
    expect(bundle.standardiser).toEqual(
      combineMoments(sites.map((s) => ({ count: s.numExamples, mean: s.mean, variance: s.variance }))),
    );
    expect(bundle.weights).toEqual(initialGeneratorWeights(ARCHITECTURE, 7));
    expect(bundle.metadata.latentPrior).toEqual(
      siteLatentPrior(
        [
          { name: 'site-a', numExamples: 30 },
          { name: 'site-b', numExamples: 10 },
        ],
        4,
        8,
      ),
    );
    expect(bundle.metadata).toMatchObject({
      classNames: ['angry', 'sad'],
      featureSpec: SPEC,
      trainingConfig: { localSteps: 20, learningRate: 0.001 },
      architecture: { noiseDimension: 4, hiddenUnits: [5], outputDimension: 3 },
    });
    expect(bundle.metadata.provenance).toEqual({
      createdAt: '2030-01-01T00:00:00.000Z',
      tool: 'emodistill 0.1.0',
      trainingRows: 40,
      trainingSpeakers: 4,
      corpusSource: 'federated',
      steps: 0,
      seconds: 0,
      backend: 'federated',
      federation: { strategy: 'fed-avg', trainingRounds: 0, sites: ['site-a', 'site-b'], statisticsRound: 0 },
    });
  });

  it('survives encoding: the bundle file decodes to the same bundle', () => {
    // arrange
    const bundle = buildInitialBundle(initialOptions());

    // act
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(bundle), 'initial bundle');

    // assert
    expect(decoded).toEqual(bundle);
  });

  it("gives the same latent regions whatever order the sites' statistics come in, and none with radius 0", () => {
    // arrange
    const [a, b] = initialOptions().sites;

    // act
    const forward = buildInitialBundle(initialOptions({ sites: [a!, b!] }));
    const backward = buildInitialBundle(initialOptions({ sites: [b!, a!] }));
    const withoutRegions = buildInitialBundle(initialOptions({ latentRadius: 0 }));

    // assert
    expect(backward.metadata.latentPrior).toEqual(forward.metadata.latentPrior);
    expect(backward.metadata.provenance.federation?.sites).toEqual(['site-b', 'site-a']);
    expect('latentPrior' in withoutRegions.metadata).toBe(false);
  });

  it('refuses no sites, sites of another feature space, and a class count the names do not match', async () => {
    // arrange
    const otherSpace = { ...site('site-c', 5, 0), featureSpec: { ...SPEC, version: '2' } };

    // act / assert
    await expectEmodistillError(
      () => buildInitialBundle(initialOptions({ sites: [] })),
      ERROR_CODES.invalidOption,
      'at least one site',
    );
    await expectEmodistillError(
      () => buildInitialBundle(initialOptions({ sites: [site('site-a', 3, 0), otherSpace] })),
      ERROR_CODES.invalidOption,
      'site "site-c" has synthetic v2 features',
    );
    await expectEmodistillError(
      () => buildInitialBundle(initialOptions({ classNames: ['angry', 'sad', 'happy'] })),
      ERROR_CODES.invalidOption,
      'conditions on 2 classes, but 3 are named',
    );
  });
});

describe('buildAggregatedBundle', () => {
  const base = (): GeneratorBundle => buildInitialBundle(initialOptions());

  it('adds the aggregated update to the base weights and counts the round in the provenance', () => {
    // arrange
    const start = base();

    // act
    const next = buildAggregatedBundle({
      base: start,
      delta: uniformDelta(0.5),
      round: 1,
      sites: ['site-c', 'site-a'],
      steps: 20,
      createdAt: '2030-01-02T00:00:00.000Z',
    });

    // assert
    expect(next.weights.map((t) => t.name)).toEqual(start.weights.map((t) => t.name));
    next.weights.forEach((tensor, t) =>
      expect(tensor.values).toEqual(Float32Array.from(start.weights[t]!.values, (v) => v + 0.5)),
    );
    expect(next.standardiser).toBe(start.standardiser);
    expect(next.metadata.latentPrior).toEqual(start.metadata.latentPrior);
    expect(next.metadata.provenance).toEqual({
      ...start.metadata.provenance,
      createdAt: '2030-01-02T00:00:00.000Z',
      steps: 20,
      federation: {
        strategy: 'fed-avg',
        trainingRounds: 1,
        sites: ['site-a', 'site-b', 'site-c'],
        statisticsRound: 0,
        lastRound: 1,
      },
    });
  });

  it('chains: a decoded aggregated bundle is the base of the next round', () => {
    // arrange
    const first = buildAggregatedBundle({
      base: base(),
      delta: uniformDelta(1),
      round: 1,
      sites: ['site-a'],
      steps: 20,
      createdAt: '2030-01-02T00:00:00.000Z',
    });
    const decoded = decodeGeneratorBundle(encodeGeneratorBundle(first), 'version 2');

    // act
    const second = buildAggregatedBundle({
      base: decoded,
      delta: uniformDelta(-1),
      round: 3,
      sites: ['site-b'],
      steps: 20,
      createdAt: '2030-01-03T00:00:00.000Z',
    });

    // assert
    second.weights.forEach((tensor, t) =>
      expect(tensor.values).toEqual(Float32Array.from(decoded.weights[t]!.values, (v) => v - 1)),
    );
    expect(second.metadata.provenance).toMatchObject({
      steps: 40,
      federation: { trainingRounds: 2, sites: ['site-a', 'site-b'], lastRound: 3 },
    });
  });

  it("records each site's reported ε (the latest, survives encoding), keeps a round without DP for good, and gates a budget on it", () => {
    // arrange
    const round = (base: GeneratorBundle, n: number, metrics: Record<string, Record<string, number>>) =>
      decodeGeneratorBundle(
        encodeGeneratorBundle(
          buildAggregatedBundle({
            base,
            delta: uniformDelta(0),
            round: n,
            sites: Object.keys(metrics),
            steps: 1,
            createdAt: '2030-01-02T00:00:00.000Z',
            sitePrivacy: Object.fromEntries(Object.entries(metrics).map(([site, m]) => [site, sitePrivacyOf(m)])),
          }),
        ),
        `version ${n}`,
      );

    // act
    const first = round(base(), 1, {
      'site-a': { epsilonUtterance: 1.5, epsilonSpeaker: 60, dpDelta: 1e-5 },
      'site-b': { wasserstein: 0.3 },
    });
    const second = round(first, 2, {
      'site-a': { epsilonUtterance: 2.5, epsilonSpeaker: 100, dpDelta: 1e-5 },
      'site-b': { epsilonUtterance: 0.5, epsilonSpeaker: 20, dpDelta: 1e-5 },
    });

    // assert
    expect(second.metadata.provenance.federation!.sitePrivacy).toEqual({
      'site-a': { epsilonUtterance: 2.5, epsilonSpeaker: 100, delta: 1e-5 },
      'site-b': { epsilonUtterance: null, epsilonSpeaker: null, delta: null },
    });
    expect(privacyBudgetBreaches(second, 3)).toEqual(['site-b trained a round without differential privacy']);
    expect(privacyBudgetBreaches(second, 2)).toEqual([
      'site-a spent ε = 2.50 per utterance (δ = 0.00001), above 2',
      'site-b trained a round without differential privacy',
    ]);
    expect(privacyBudgetBreaches(base(), 2)).toEqual([
      'site-a reported no DP spending',
      'site-b reported no DP spending',
    ]);
  });

  it('refuses a base that is not federated, and an update that does not fit the base generator', async () => {
    // arrange
    const start = base();
    const { federation: _federation, ...central } = start.metadata.provenance;
    const centralBase = { ...start, metadata: { ...start.metadata, provenance: central } };
    const delta = uniformDelta(1);
    const options = { round: 1, sites: ['site-a'], steps: 20, createdAt: '' };

    // act / assert
    await expectEmodistillError(
      () => buildAggregatedBundle({ ...options, base: centralBase, delta }),
      ERROR_CODES.invalidOption,
      'not a federated one',
    );
    await expectEmodistillError(
      () => buildAggregatedBundle({ ...options, base: start, delta: delta.slice(1) }),
      ERROR_CODES.invalidOption,
      `the update has ${delta.length - 1} tensors`,
    );
    await expectEmodistillError(
      () =>
        buildAggregatedBundle({
          ...options,
          base: start,
          delta: [{ ...delta[0]!, shape: [...delta[0]!.shape].reverse() }, ...delta.slice(1)],
        }),
      ERROR_CODES.invalidOption,
      'is not a weight of the base generator',
    );
  });
});

describe('generator bundle provenance: federation', () => {
  /** The initial bundle's file with its provenance's federation replaced by `federation`. */
  function withFederation(federation: unknown): Uint8Array {
    const bundle = buildInitialBundle(initialOptions());
    const metadata = { ...bundle.metadata, provenance: { ...bundle.metadata.provenance, federation } };
    const dimension = bundle.standardiser.mean.length;
    return encodeSafetensors(
      [
        ...bundle.weights,
        { name: 'standardiser/mean', shape: [dimension], values: bundle.standardiser.mean },
        { name: 'standardiser/std', shape: [dimension], values: bundle.standardiser.std },
      ],
      { 'emodistill.generator_bundle': JSON.stringify(metadata) },
    );
  }

  it('is checked when present (a centrally trained bundle has none)', async () => {
    // arrange
    const valid = { strategy: 'fed-median', trainingRounds: 2, sites: ['a'], statisticsRound: 0, lastRound: 4 };
    const { federation: _federation, ...central } = buildInitialBundle(initialOptions()).metadata.provenance;

    // act
    const decoded = decodeGeneratorBundle(withFederation(valid), 'federated');
    const centralBundle = decodeGeneratorBundle(withFederation(undefined), 'central');

    // assert
    expect(decoded.metadata.provenance.federation).toEqual(valid);
    expect(centralBundle.metadata.provenance).toEqual(central);
    await expectEmodistillError(
      () => decodeGeneratorBundle(withFederation({ ...valid, trainingRounds: 'two' }), 'bad'),
      ERROR_CODES.bundleFormat,
      '/provenance/federation/trainingRounds',
    );
    await expectEmodistillError(
      () => decodeGeneratorBundle(withFederation({ strategy: 'fed-avg', trainingRounds: 1 }), 'bad'),
      ERROR_CODES.bundleFormat,
      '/provenance/federation/sites',
    );
  });
});
