import { trainClassifier, type ClassifierData, type TrainedClassifier } from '../models/mlp-classifier.js';

/** Pool members differ in width and depth as well as seed, so L_SML does not overfit one model. */
const MEMBER_WIDTHS: readonly (readonly number[])[] = [[256, 256], [128, 128], [256]];

/** Emotion classifiers trained on the real (standardised) data; they never leave the site. */
export interface ClassifierPool {
  readonly members: readonly TrainedClassifier[];
  /** Retrains member `index` with a new seed. */
  refresh(index: number, seed: number): void;
  dispose(): void;
}

/** @param memberSeeds one training seed per member (the pool's size) */
export function createClassifierPool(
  data: ClassifierData,
  options: { memberSeeds: readonly number[]; epochs: number; maxSteps: number },
): ClassifierPool {
  const train = (index: number, seed: number): TrainedClassifier =>
    trainClassifier(data, {
      hiddenUnits: MEMBER_WIDTHS[index % MEMBER_WIDTHS.length]!,
      epochs: options.epochs,
      maxSteps: options.maxSteps,
      seed,
    });
  const members = options.memberSeeds.map((seed, i) => train(i, seed));
  return {
    members,
    refresh(index, seed) {
      members[index]!.dispose();
      members[index] = train(index, seed);
    },
    dispose() {
      for (const member of members) member.dispose();
    },
  };
}
