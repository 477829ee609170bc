import { Command, Option } from 'commander';
import {
  DISTILL_METHODS,
  createGeneratorBundle,
  distill,
  methodPreset,
  privateMomentsRowsNeeded,
  readFeatureSet,
  resolveDistillConfig,
  selectBackend,
  writeGeneratorBundle,
  type BackendName,
  type ComputePath,
  type DistillMethod,
  type DistillOptions,
  withDifferentialPrivacy,
  type StepLosses,
} from '@emodistill/core';
import { checkOutputPaths, requireEveryClass, requireRows } from '../checks.js';
import type { CommandContext } from '../context.js';
import { createProgress } from '../progress.js';
import {
  backendOption,
  computeOption,
  parseNonNegativeNumber,
  parsePositiveInt,
  parsePositiveNumber,
} from '../options.js';
import { jsonOption, printResult } from '../output.js';

interface DistillFlags {
  out: string;
  method: DistillMethod;
  ema?: number;
  steps?: number;
  seed?: number;
  backend: BackendName;
  compute: ComputePath;
  alpha?: number;
  beta?: number;
  gamma?: number;
  poolMatching?: number;
  speakerInvariance?: number;
  dpEpsilon?: number;
  dpNoise?: number;
  dpClip?: number;
  dpDelta?: number;
  dpFeatureClip?: number;
  dpStandardiserNoise?: number;
  criticSteps?: number;
  batchSize?: number;
  checkpoint?: string;
  checkpointEvery: number;
  json?: boolean;
}

export function distillCommand(context: () => CommandContext): Command {
  return new Command('distill')
    .description(
      'train the distillator (conditional WGAN-GP + feature, softmax and diversity losses) on a training set and write a generator bundle',
    )
    .argument('<train.arrow>', 'training feature set (the held-out speakers must not be in it)')
    .requiredOption('--out <gen.bundle>', 'generator bundle to write (safetensors + metadata)')
    .addOption(
      new Option(
        '--method <name>',
        "default: the benchmark's best (weight average, a labeler in the bundle, soft labels, oversample and select) · paper: the paper's losses alone",
      )
        .choices(DISTILL_METHODS)
        .default('default'),
    )
    .option('--steps <n>', 'generator steps (default 2000)', parsePositiveInt)
    .option(
      '--ema <decay>',
      "decay of the generator's weight average, 0 for none (default: the method's)",
      parseNonNegativeNumber,
    )
    .option('--seed <n>', 'seed of every random draw (default 0)', parseNonNegativeNumber)
    .option('--alpha <w>', 'weight of feature matching L_FM (default 0.01)', parseNonNegativeNumber)
    .option('--beta <w>', 'weight of softmax matching L_SML (default 1)', parseNonNegativeNumber)
    .option('--gamma <w>', 'weight of the diversity term L_DIV (default 0.1)', parseNonNegativeNumber)
    .option(
      '--pool-matching <w>',
      "weight δ of L_DM, class-mean matching in the pool classifiers' hidden layers (default 0: off)",
      parseNonNegativeNumber,
    )
    .option(
      '--speaker-invariance <w>',
      'weight ζ of L_SPK: a probe of the training speakers should not tell which one a synthetic sample resembles (default 0: off)',
      parseNonNegativeNumber,
    )
    .option(
      '--dp-epsilon <ε>',
      'differential privacy (DP-SGD on the critic): the noise the accountant needs for this ε per utterance; turns off the terms that read real rows outside the critic',
      parsePositiveNumber,
    )
    .option(
      '--dp-noise <σ>',
      'differential privacy with this noise multiplier instead of a target ε',
      parsePositiveNumber,
    )
    .option('--dp-clip <C>', 'per-example clip norm of DP-SGD (default 1)', parsePositiveNumber)
    .option('--dp-delta <δ>', 'δ of the DP guarantee (default 1e-5)', parsePositiveNumber)
    .option(
      '--dp-standardiser-noise <σ>',
      'σ of the private standardiser under DP (default 7: ε ≈ 1.6 of its own, composed into the reported ε; needs about 30·σ·√dimension rows); 0 fits it exactly, outside the guarantee',
      parseNonNegativeNumber,
    )
    .option(
      '--dp-feature-clip <C>',
      "keep feature matching under DP: its real class means released by the Gaussian mechanism, each row's critic features clipped to this norm (e.g. 10; the accountant counts one more private step per generator step)",
      parsePositiveNumber,
    )
    .option('--critic-steps <n>', 'critic updates per generator update (default 5)', parsePositiveInt)
    .option('--batch-size <n>', 'minibatch size (default 64)', parsePositiveInt)
    .option('--checkpoint <file>', 'save training state here and resume from it if it exists')
    .option('--checkpoint-every <n>', 'generator steps between checkpoints', parsePositiveInt, 200)
    .addOption(jsonOption())
    .addOption(backendOption())
    .addOption(computeOption())
    .action(async (trainPath: string, flags: DistillFlags) => {
      const { log, print } = context();
      await checkOutputPaths([
        { option: '--out', path: flags.out },
        flags.checkpoint ? { option: '--checkpoint', path: flags.checkpoint } : undefined,
      ]);
      const set = await readFeatureSet(trainPath);
      requireRows(set, trainPath);
      requireEveryClass(set, trainPath);
      const backend = await selectBackend(flags.backend, flags.compute);
      log.info({ backend }, 'backend ready');
      const preset = methodPreset(flags.method);
      const options: DistillOptions = {
        ...preset.distill,
        ...(flags.ema !== undefined && { emaDecay: flags.ema }),
        ...(flags.steps !== undefined && { steps: flags.steps }),
        ...(flags.seed !== undefined && { seed: flags.seed }),
        ...(flags.alpha !== undefined && { featureMatchingWeight: flags.alpha }),
        ...(flags.beta !== undefined && { softmaxMatchingWeight: flags.beta }),
        ...(flags.gamma !== undefined && { diversityWeight: flags.gamma }),
        ...(flags.poolMatching !== undefined && { poolMatchingWeight: flags.poolMatching }),
        ...(flags.speakerInvariance !== undefined && { speakerInvarianceWeight: flags.speakerInvariance }),
        ...(flags.criticSteps !== undefined && { criticSteps: flags.criticSteps }),
        ...(flags.batchSize !== undefined && { batchSize: flags.batchSize }),
      };
      const config = resolveDistillConfig(privately(options, flags, set.ids.length, set.dimension, context().notice));
      log.info(
        { rows: set.ids.length, classes: set.classNames.length, dimension: set.dimension, config },
        `distillation started (method ${flags.method})`,
      );
      const progress = createProgress('distilling');
      let lastLosses: StepLosses | undefined;
      const result = await distill(set, config, {
        checkpoint: flags.checkpoint ? { path: flags.checkpoint, everySteps: flags.checkpointEvery } : undefined,
        onProgress: ({ step, steps, losses }) => {
          lastLosses = losses;
          progress.update(
            step,
            steps,
            `W ${losses.wasserstein.toFixed(2)} adv ${losses.adversarial.toFixed(2)} fm ${losses.featureMatching.toFixed(1)} sml ${losses.softmaxMatching.toFixed(2)} dm ${losses.poolMatching.toFixed(2)} spk ${losses.speakerInvariance.toFixed(2)} div ${losses.diversity.toFixed(2)}`,
          );
          // Every tenth of the run at info level, so non-terminal runs (CI, nohup) show progress in the log.
          const logLevel = step % Math.max(25, Math.round(steps / 10)) === 0 || step === steps ? 'info' : 'debug';
          log[logLevel]({ step, steps, ...losses }, 'distillation progress');
        },
      });
      progress.stop();
      await writeGeneratorBundle(flags.out, createGeneratorBundle(result, set, backend, preset.sampling));
      log.info(
        { out: flags.out, seconds: result.seconds, stepsPerSecond: result.steps / result.seconds },
        'generator bundle written',
      );
      printResult(
        { print },
        flags,
        {
          train: trainPath,
          out: flags.out,
          method: flags.method,
          backend,
          steps: result.steps,
          seconds: result.seconds,
          stepsPerSecond: result.steps / result.seconds,
          trainRows: set.ids.length,
          classNames: set.classNames,
          config,
          ...(lastLosses && { losses: lastLosses }),
          ...(result.privacy && { privacy: result.privacy }),
        },
        (r) =>
          `wrote ${r.out}: ${r.steps} generator steps in ${r.seconds.toFixed(1)} s on ${r.backend} (${r.trainRows} training utterances, ${r.classNames.length} classes)${
            r.privacy
              ? `\ndifferential privacy (${r.privacy.accountant}, δ = ${r.privacy.delta}): ε = ${r.privacy.epsilonUtterance.toFixed(2)} per utterance; per speaker (group privacy over their utterances) ε = ${r.privacy.epsilonSpeaker.toFixed(0)}, a weak guarantee; not covered: ${r.privacy.notCovered.join(', ')}`
              : ''
          }`,
      );
    });
}

/** With --dp-epsilon or --dp-noise: the options made private, saying which terms that turned off. */
function privately(
  options: DistillOptions,
  flags: DistillFlags,
  trainingRows: number,
  dimension: number,
  notice: (text: string) => void,
): DistillOptions {
  if (flags.dpEpsilon === undefined && flags.dpNoise === undefined) return options;
  const { options: private_, turnedOff } = withDifferentialPrivacy(
    options,
    {
      epsilon: flags.dpEpsilon,
      noiseMultiplier: flags.dpNoise,
      clipNorm: flags.dpClip,
      delta: flags.dpDelta,
      featureClipNorm: flags.dpFeatureClip,
      standardiserNoiseMultiplier: flags.dpStandardiserNoise,
    },
    trainingRows,
  );
  if (turnedOff.length > 0)
    notice(`differential privacy: turned off ${turnedOff.join(', ')} (they read real rows outside the private critic)`);
  const { dpStandardiserNoiseMultiplier: sigma } = resolveDistillConfig(private_);
  const rowsNeeded = privateMomentsRowsNeeded(dimension, sigma);
  if (sigma > 0 && trainingRows < rowsNeeded)
    notice(
      `differential privacy: ${trainingRows} rows are too few for an accurate private standardiser at σ ${sigma} (about ${rowsNeeded} are needed for ${dimension} dimensions); expect poor samples, or fit it exactly with --dp-standardiser-noise 0 (then outside the guarantee)`,
    );
  return private_;
}
