import { createMlp } from '../models/mlp.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { GeneratorBundle } from '../formats/generator-bundle.js';
import { applySnapshot } from '../models/weight-snapshot.js';
import type { GeneratorForSampling } from './sample.js';
import type { DistillResult } from './train-loop.js';

/** Packs a finished distillation with its provenance. */
export function createGeneratorBundle(
  result: DistillResult,
  trainingSet: FeatureSet,
  backend: string,
): GeneratorBundle {
  return {
    metadata: {
      formatVersion: '1',
      architecture: {
        kind: 'conditional-mlp-generator',
        noiseDimension: result.config.noiseDimension,
        hiddenUnits: [...result.config.hiddenUnits],
        activation: 'leakyRelu',
        outputDimension: result.dimension,
        conditioning: 'concat-one-hot',
      },
      classNames: [...result.classNames],
      featureSpec: {
        ...trainingSet.spec,
        params: { ...trainingSet.spec.params },
        dimensionNames: [...trainingSet.spec.dimensionNames],
      },
      trainingConfig: { ...result.config },
      provenance: {
        createdAt: new Date().toISOString(),
        tool: 'emodistill 0.1.0',
        trainingRows: trainingSet.ids.length,
        trainingSpeakers: new Set(trainingSet.speakers).size,
        corpusSource: trainingSet.corpus.source,
        steps: result.steps,
        seconds: result.seconds,
        backend,
      },
    },
    weights: result.generatorWeights,
    standardiser: result.standardiser,
  };
}

/** Rebuilds the generator network from a bundle; the caller disposes `network`. */
export function loadGenerator(bundle: GeneratorBundle, source: string): GeneratorForSampling {
  const { architecture, classNames, featureSpec } = bundle.metadata;
  const network = createMlp({
    inputDimension: architecture.noiseDimension + classNames.length,
    hiddenUnits: architecture.hiddenUnits,
    outputDimension: architecture.outputDimension,
    activation: architecture.activation,
    seed: 0,
    name: 'generator',
  });
  try {
    applySnapshot(network, bundle.weights, source);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return {
    network,
    noiseDimension: architecture.noiseDimension,
    classNames,
    standardiser: bundle.standardiser,
    spec: featureSpec,
    latentPrior: bundle.metadata.latentPrior,
  };
}
