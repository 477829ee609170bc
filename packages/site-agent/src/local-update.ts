import { createHash, randomBytes } from 'node:crypto';
import {
  canonicalBytes,
  computeMoments,
  encodeSafetensors,
  privateMoments,
  PROTOCOL,
  signBytes,
  type FeatureSet,
  type KeyPair,
  type Rng,
  type SignedUpdate,
  type UpdateHeader,
  type WeightSnapshot,
} from '@emodistill/core';

/** What a site uploads for a round: the signed envelope and the payload bytes it names. */
export interface PreparedUpdate {
  readonly envelope: SignedUpdate;
  readonly payload: Uint8Array;
}

/** Round 0's update: its payload and the row count it stands for (the header's numExamples). */
export interface StatisticsRelease {
  readonly payload: Uint8Array;
  readonly numExamples: number;
}

/**
 * Round 0's payload: per-dimension mean and variance of the site's training rows, with its classes,
 * feature spec and number of speakers. With `privately`, the moments and the row count are core's
 * privateMoments (accounted by the caller beforehand); the number of speakers is sent as it is.
 */
export function statisticsPayload(
  set: FeatureSet,
  privately?: { readonly noiseMultiplier: number; readonly rng: Rng },
): StatisticsRelease {
  const moments = privately
    ? privateMoments(set.features, set.dimension, privately).moments
    : computeMoments(set.features, set.dimension);
  const payload = encodeSafetensors(
    [
      { name: PROTOCOL.momentMeanTensor, shape: [set.dimension], values: moments.mean },
      { name: PROTOCOL.momentVarianceTensor, shape: [set.dimension], values: moments.variance },
    ],
    {
      [PROTOCOL.siteStatisticsKey]: JSON.stringify({
        classNames: set.classNames,
        featureSpec: set.spec,
        speakers: new Set(set.speakers).size,
      }),
    },
  );
  return { payload, numExamples: privately ? moments.count : set.ids.length };
}

/** Δ = w_local − w_global, tensor by tensor (names and order of `global`). */
export function weightDelta(local: WeightSnapshot, global: WeightSnapshot): WeightSnapshot {
  return global.map((tensor) => {
    const trained = local.find((t) => t.name === tensor.name)!;
    return {
      name: tensor.name,
      shape: [...tensor.shape],
      values: Float32Array.from(tensor.values, (v, i) => trained.values[i]! - v),
    };
  });
}

/** Signs an update's header (with a fresh nonce) over canonical bytes; the payload is bound by its sha256. */
export function prepareUpdate(
  fields: Omit<UpdateHeader, 'sha256' | 'nonce' | 'time'>,
  payload: Uint8Array,
  keys: KeyPair,
): PreparedUpdate {
  const header: UpdateHeader = {
    ...fields,
    sha256: createHash('sha256').update(payload).digest('hex'),
    nonce: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
  };
  return { envelope: { header, signature: signBytes(canonicalBytes(header), keys.secretKey) }, payload };
}
