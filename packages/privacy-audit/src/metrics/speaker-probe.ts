import * as tf from '@tensorflow/tfjs';
import {
  createRng,
  shuffledIndices,
  trainClassifier,
  weightedAccuracy,
  type TrainedClassifier,
} from '@emodistill/core';
import type { Rows } from './distances.js';
import type { LabelledRows } from './membership-inference.js';

export interface SpeakerProbeResult {
  /** Speaker-ID accuracy of the probe on held-out real utterances of member speakers (is the attacker strong?). */
  readonly probeAccuracy: number;
  /** Mean top-1 probe confidence on real held-out utterances of member speakers. */
  readonly realConfidence: number;
  /** Mean top-1 probe confidence on synthetic samples: near chance (1/speakers) = little speaker identity. */
  readonly syntheticConfidence: number;
  readonly chance: number;
}

export interface RepresentationProbeResult {
  /** Speaker-ID accuracy from the hidden layer of an emotion model trained on real member data. */
  readonly realTrainedAccuracy: number;
  /** The same from an emotion model trained on the synthetic set (the paper: lower). */
  readonly syntheticTrainedAccuracy: number;
  readonly chance: number;
}

/** Splits each speaker's utterances into probe-training (≈70 %) and probe-test rows, seeded. */
function splitBySpeakerUtterances(speakers: readonly string[], seed: number): { train: number[]; test: number[] } {
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const speaker of new Set(speakers)) {
    const rows = speakers.flatMap((s, i) => (s === speaker ? [i] : []));
    const order = shuffledIndices(rows.length, rng);
    const cut = Math.max(1, Math.round(rows.length * 0.7));
    order.forEach((o, k) => (k < cut || rows.length === 1 ? train : test).push(rows[o]!));
  }
  return { train, test };
}

const take = (rows: Rows, indices: readonly number[]): Float32Array => {
  const out = new Float32Array(indices.length * rows.dimension);
  indices.forEach((row, i) =>
    out.set(rows.values.subarray(row * rows.dimension, (row + 1) * rows.dimension), i * rows.dimension),
  );
  return out;
};

function meanTopConfidence(classifier: TrainedClassifier, x: Float32Array, classCount: number): number {
  const probabilities = classifier.predictProbabilities(x);
  const rows = probabilities.length / classCount;
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += Math.max(...probabilities.subarray(r * classCount, (r + 1) * classCount));
  return sum / rows;
}

function speakerLabels(speakers: readonly string[]): { labels: Int32Array; count: number } {
  const ids = [...new Set(speakers)].sort();
  const index = new Map(ids.map((s, i) => [s, i]));
  return { labels: Int32Array.from(speakers, (s) => index.get(s)!), count: ids.length };
}

/** A speaker-ID probe trained on real member utterances, then shown synthetic samples. */
export function probeSyntheticSpeakerInformation(synthetic: Rows, members: LabelledRows, seed = 0): SpeakerProbeResult {
  const { labels, count } = speakerLabels(members.speakers);
  const { train, test } = splitBySpeakerUtterances(members.speakers, seed);
  const probe = trainClassifier(
    {
      x: take(members, train),
      labels: Int32Array.from(train, (r) => labels[r]!),
      dimension: members.dimension,
      classCount: count,
    },
    { seed, epochs: 60 },
  );
  try {
    const testX = take(members, test);
    return {
      probeAccuracy: weightedAccuracy(
        Int32Array.from(test, (r) => labels[r]!),
        probe.predict(testX),
      ),
      realConfidence: meanTopConfidence(probe, testX, count),
      syntheticConfidence: meanTopConfidence(probe, synthetic.values, count),
      chance: 1 / count,
    };
  } finally {
    probe.dispose();
  }
}

/** Hidden-layer activations of an emotion classifier for `x` [N, dimension]. */
function hiddenRepresentation(
  classifier: TrainedClassifier,
  x: Float32Array,
  dimension: number,
): { values: Float32Array; dimension: number } {
  return tf.tidy(() => {
    const { penultimate } = classifier.network.apply(tf.tensor2d(x, [x.length / dimension, dimension]));
    return { values: penultimate.dataSync() as Float32Array, dimension: penultimate.shape[1] };
  });
}

/**
 * The paper's speaker-information test: train the emotion model on synthetic vs on real data,
 * then measure how well a speaker-ID probe reads speakers from its hidden layer on real
 * member utterances (probe trained and tested on disjoint utterances).
 */
export function probeEmotionModelRepresentations(
  synthetic: Rows & { readonly emotionLabels: Int32Array },
  members: LabelledRows & { readonly emotionLabels: Int32Array },
  classCount: number,
  seed = 0,
): RepresentationProbeResult {
  const { labels: speakers, count } = speakerLabels(members.speakers);
  const { train, test } = splitBySpeakerUtterances(members.speakers, seed + 1);
  const accuracyFrom = (emotionModel: TrainedClassifier): number => {
    const hidden = hiddenRepresentation(emotionModel, members.values, members.dimension);
    const probe = trainClassifier(
      {
        x: take(hidden, train),
        labels: Int32Array.from(train, (r) => speakers[r]!),
        dimension: hidden.dimension,
        classCount: count,
      },
      { seed, epochs: 60 },
    );
    try {
      return weightedAccuracy(
        Int32Array.from(test, (r) => speakers[r]!),
        probe.predict(take(hidden, test)),
      );
    } finally {
      probe.dispose();
    }
  };
  const withModel = (data: Rows & { emotionLabels: Int32Array }): number => {
    const model = trainClassifier(
      { x: data.values, labels: data.emotionLabels, dimension: data.dimension, classCount },
      { seed, dropout: 0.3 },
    );
    try {
      return accuracyFrom(model);
    } finally {
      model.dispose();
    }
  };
  return { realTrainedAccuracy: withModel(members), syntheticTrainedAccuracy: withModel(synthetic), chance: 1 / count };
}
