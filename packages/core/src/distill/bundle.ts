import { createMlp, type Mlp } from '../models/mlp.js';
import { createLabelerNetwork } from './labeler.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { GeneratorBundle, SamplingDefaults } from '../formats/generator-bundle.js';
import { applySnapshot } from '../models/weight-snapshot.js';
import { releaseDerivedLabeler, type GeneratorForSampling } from './sample.js';
import type { DistillResult } from './train-loop.js';

/**
 * Packs a finished distillation with its provenance; `sampling` (the method's) becomes the
 * bundle's default for `sample`.
 */
export function createGeneratorBundle(
  result: DistillResult,
  trainingSet: FeatureSet,
  backend: string,
  sampling?: SamplingDefaults,
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
        // σ = 0 gives no guarantee (ε = ∞, which JSON cannot hold): nothing to record.
        ...(result.privacy && Number.isFinite(result.privacy.epsilonUtterance) && { privacy: result.privacy }),
      },
      ...(result.labelerWeights && { labeler: { hiddenUnits: [...result.config.labelerHiddenUnits] } }),
      ...(sampling && { sampling: { ...sampling } }),
    },
    weights: [...result.generatorWeights, ...(result.labelerWeights ?? [])],
    standardiser: result.standardiser,
  };
}

/** Rebuilds the generator network (and labeler) from a bundle; the caller disposes them (`disposeGenerator`). */
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
  let labeler: Mlp | undefined;
  try {
    applySnapshot(network, bundle.weights, source);
    if (bundle.metadata.labeler) {
      labeler = createLabelerNetwork(
        architecture.outputDimension,
        classNames.length,
        bundle.metadata.labeler.hiddenUnits,
      );
      applySnapshot(labeler, bundle.weights, source);
    }
  } catch (error) {
    network.dispose();
    labeler?.dispose();
    throw error;
  }
  return {
    ...(labeler && { labeler }),
    ...(bundle.metadata.sampling && { sampling: bundle.metadata.sampling }),
    network,
    noiseDimension: architecture.noiseDimension,
    classNames,
    standardiser: bundle.standardiser,
    spec: featureSpec,
    latentPrior: bundle.metadata.latentPrior,
  };
}

/** Frees what `loadGenerator` built. */
export function disposeGenerator(generator: GeneratorForSampling): void {
  releaseDerivedLabeler(generator);
  generator.network.dispose();
  generator.labeler?.dispose();
}
