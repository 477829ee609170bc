import { createHash } from 'node:crypto';
import { globalNorm } from '../aggregation/norm-clip.js';
import { canonicalBytes, verifyBytes } from '../crypto/signing.js';
import { decodeSafetensors } from '../formats/safetensors.js';
import type { WeightSnapshot } from '../tensors/named-tensor.js';
import { checkMessage, type UpdateHeader } from './messages.js';

/** Why an update was refused; each is logged, and none changes the round's state. */
export const UPDATE_REJECTIONS = {
  malformed: 'MALFORMED',
  unknownSite: 'UNKNOWN_SITE',
  badSignature: 'BAD_SIGNATURE',
  wrongRound: 'WRONG_ROUND',
  notParticipant: 'NOT_PARTICIPANT',
  wrongBaseVersion: 'WRONG_BASE_VERSION',
  timeOutOfWindow: 'TIME_OUT_OF_WINDOW',
  examplesOutOfRange: 'EXAMPLES_OUT_OF_RANGE',
  replay: 'REPLAY',
  duplicate: 'DUPLICATE',
  oversized: 'OVERSIZED',
  payloadHash: 'PAYLOAD_HASH',
  shapeMismatch: 'SHAPE_MISMATCH',
  nonFinite: 'NON_FINITE',
  normExceeded: 'NORM_EXCEEDED',
  featureSpace: 'FEATURE_SPACE',
} as const;
export type UpdateRejection = (typeof UPDATE_REJECTIONS)[keyof typeof UPDATE_REJECTIONS];

/** What the coordinator knows when an update's signed header arrives (before its body). */
export interface UpdateHeaderContext {
  /** Allow-list: site id → public key (base64). */
  readonly sitePublicKeys: ReadonlyMap<string, string>;
  readonly round: number;
  readonly baseVersion: number;
  /** Sites the round was announced to: only they may contribute. */
  readonly participants: { has(siteId: string): boolean };
  /**
   * The signed `time` must fall in this window: from the round's opening (less the allowed clock
   * skew) to now (plus the skew). A re-send of the same signed update stays inside it.
   */
  readonly timeWindow: { readonly notBefore: Date; readonly notAfter: Date };
  /** Upper bound on `numExamples`, which weights aggregation. */
  readonly maxExamples: number;
  /** Nonces already seen (any round): a repeat is a replay. A Set, or a lookup in durable state. */
  readonly seenNonces: { has(nonce: string): boolean };
  /** Sites whose update for this round is already accepted. */
  readonly acceptedSites: { has(siteId: string): boolean };
}

/** Everything checked before an update is stored: the header's context plus the payload's. */
export interface UpdateContext extends UpdateHeaderContext {
  /** Names and shapes every update must have (the global generator's layout). */
  readonly layout: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly maxPayloadBytes: number;
  /** Bound on the update's global L2 norm. */
  readonly maxNorm: number;
}

export type Rejection = { readonly accepted: false; readonly reason: UpdateRejection; readonly message: string };
export type UpdateHeaderVerdict = { readonly accepted: true; readonly header: UpdateHeader } | Rejection;
export type UpdateVerdict =
  | {
      readonly accepted: true;
      readonly header: UpdateHeader;
      readonly delta: WeightSnapshot;
      readonly metadata: Readonly<Record<string, string>>;
      readonly norm: number;
    }
  | Rejection;

const reject = (reason: UpdateRejection, message: string): Rejection => ({ accepted: false, reason, message });

/**
 * Checks an update's signed envelope, cheapest checks first (schema, identity, signature, round,
 * participation, time, replay), so the coordinator can refuse a forged or stale upload before
 * reading its body.
 */
export function validateUpdateHeader(envelope: unknown, context: UpdateHeaderContext): UpdateHeaderVerdict {
  const checked = checkMessage('signedUpdate', envelope);
  if (!checked.ok) return reject(UPDATE_REJECTIONS.malformed, checked.reason);
  const { header, signature } = checked.message;
  const publicKey = context.sitePublicKeys.get(header.siteId);
  if (!publicKey) return reject(UPDATE_REJECTIONS.unknownSite, `site "${header.siteId}" is not on the allow-list`);
  if (!verifyBytes(canonicalBytes(header), signature, publicKey))
    return reject(UPDATE_REJECTIONS.badSignature, `signature of site "${header.siteId}" does not verify`);
  if (header.round !== context.round)
    return reject(UPDATE_REJECTIONS.wrongRound, `update for round ${header.round}, but round ${context.round} is open`);
  if (!context.participants.has(header.siteId))
    return reject(
      UPDATE_REJECTIONS.notParticipant,
      `site "${header.siteId}" is not a participant of round ${context.round} (it was not connected when the round was announced)`,
    );
  if (header.baseVersion !== context.baseVersion)
    return reject(
      UPDATE_REJECTIONS.wrongBaseVersion,
      `update built on version ${header.baseVersion}, but round ${context.round} started from version ${context.baseVersion}`,
    );
  const signedAt = Date.parse(header.time);
  const { notBefore, notAfter } = context.timeWindow;
  if (!(signedAt >= notBefore.getTime() && signedAt <= notAfter.getTime())) {
    return reject(
      UPDATE_REJECTIONS.timeOutOfWindow,
      `update signed at "${header.time}", outside round ${context.round}'s window ${notBefore.toISOString()} … ${notAfter.toISOString()}`,
    );
  }
  if (header.numExamples > context.maxExamples)
    return reject(
      UPDATE_REJECTIONS.examplesOutOfRange,
      `numExamples ${header.numExamples} exceeds the limit of ${context.maxExamples} per site`,
    );
  if (context.seenNonces.has(header.nonce))
    return reject(UPDATE_REJECTIONS.replay, `nonce of site "${header.siteId}" was already used (replayed upload)`);
  if (context.acceptedSites.has(header.siteId))
    return reject(
      UPDATE_REJECTIONS.duplicate,
      `site "${header.siteId}" already has an accepted update in round ${context.round}`,
    );
  return { accepted: true, header };
}

/**
 * Checks an uploaded update before anything is stored: the envelope (validateUpdateHeader), then
 * the payload (size, hash, layout, finiteness, norm), so forged or stale uploads cost no decoding.
 */
export function validateUpdate(envelope: unknown, payload: Uint8Array, context: UpdateContext): UpdateVerdict {
  if (payload.byteLength > context.maxPayloadBytes)
    return reject(
      UPDATE_REJECTIONS.oversized,
      `payload of ${payload.byteLength} bytes exceeds the ${context.maxPayloadBytes}-byte limit`,
    );
  const checkedHeader = validateUpdateHeader(envelope, context);
  if (!checkedHeader.accepted) return checkedHeader;
  const { header } = checkedHeader;
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256)
    return reject(
      UPDATE_REJECTIONS.payloadHash,
      'payload does not match the signed sha256 (altered or truncated in transit)',
    );
  let delta: WeightSnapshot;
  let metadata: Record<string, string>;
  try {
    ({ tensors: delta, metadata } = decodeSafetensors(payload, `update from ${header.siteId}`));
  } catch (error) {
    return reject(UPDATE_REJECTIONS.malformed, (error as Error).message);
  }
  const byName = new Map(delta.map((t) => [t.name, t]));
  for (const expected of context.layout) {
    const tensor = byName.get(expected.name);
    if (!tensor || tensor.shape.join() !== expected.shape.join()) {
      return reject(
        UPDATE_REJECTIONS.shapeMismatch,
        `tensor "${expected.name}" should be [${expected.shape.join(', ')}], got ${tensor ? `[${tensor.shape.join(', ')}]` : 'nothing'}`,
      );
    }
    if (tensor.values.some((v) => !Number.isFinite(v)))
      return reject(UPDATE_REJECTIONS.nonFinite, `tensor "${expected.name}" holds NaN or infinite values`);
  }
  if (delta.length !== context.layout.length)
    return reject(
      UPDATE_REJECTIONS.shapeMismatch,
      `update has ${delta.length} tensors, expected ${context.layout.length}`,
    );
  const ordered = context.layout.map((l) => byName.get(l.name)!);
  const norm = globalNorm(ordered);
  if (norm > context.maxNorm)
    return reject(
      UPDATE_REJECTIONS.normExceeded,
      `update norm ${norm.toFixed(3)} exceeds the bound ${context.maxNorm}`,
    );
  return { accepted: true, header, delta: ordered, metadata, norm };
}
