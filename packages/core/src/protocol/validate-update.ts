import { createHash } from 'node:crypto';
import { globalNorm } from '../aggregation/norm-clip.js';
import { canonicalBytes, verifyBytes } from '../crypto/signing.js';
import { decodeSafetensors } from '../formats/safetensors.js';
import type { WeightSnapshot } from '../tensors/weight-snapshot.js';
import { checkMessage, type UpdateHeader } from './messages.js';

/** Why an update was refused; each is logged, and none changes the round's state. */
export const UPDATE_REJECTIONS = {
  malformed: 'MALFORMED',
  unknownSite: 'UNKNOWN_SITE',
  badSignature: 'BAD_SIGNATURE',
  wrongRound: 'WRONG_ROUND',
  wrongBaseVersion: 'WRONG_BASE_VERSION',
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

/** What the coordinator knows when an update arrives. */
export interface UpdateContext {
  /** Allow-list: site id → public key (base64). */
  readonly sitePublicKeys: ReadonlyMap<string, string>;
  readonly round: number;
  readonly baseVersion: number;
  /** Nonces already seen (any round): a repeat is a replay. A Set, or a lookup in durable state. */
  readonly seenNonces: { has(nonce: string): boolean };
  /** Sites whose update for this round is already accepted. */
  readonly acceptedSites: { has(siteId: string): boolean };
  /** Names and shapes every update must have (the global generator's layout). */
  readonly layout: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly maxPayloadBytes: number;
  /** Bound on the update's global L2 norm. */
  readonly maxNorm: number;
}

export type UpdateVerdict =
  | { readonly accepted: true; readonly header: UpdateHeader; readonly delta: WeightSnapshot; readonly metadata: Readonly<Record<string, string>>; readonly norm: number }
  | { readonly accepted: false; readonly reason: UpdateRejection; readonly message: string };

const reject = (reason: UpdateRejection, message: string): UpdateVerdict => ({ accepted: false, reason, message });

/**
 * Checks an uploaded update before anything is stored, cheapest checks first (size, schema,
 * identity, signature, round, replay) so forged or stale uploads cost no decoding.
 */
export function validateUpdate(envelope: unknown, payload: Uint8Array, context: UpdateContext): UpdateVerdict {
  if (payload.byteLength > context.maxPayloadBytes) return reject(UPDATE_REJECTIONS.oversized, `payload of ${payload.byteLength} bytes exceeds the ${context.maxPayloadBytes}-byte limit`);
  const checked = checkMessage('signedUpdate', envelope);
  if (!checked.ok) return reject(UPDATE_REJECTIONS.malformed, checked.reason);
  const { header, signature } = checked.message;
  const publicKey = context.sitePublicKeys.get(header.siteId);
  if (!publicKey) return reject(UPDATE_REJECTIONS.unknownSite, `site "${header.siteId}" is not on the allow-list`);
  if (!verifyBytes(canonicalBytes(header), signature, publicKey)) return reject(UPDATE_REJECTIONS.badSignature, `signature of site "${header.siteId}" does not verify`);
  if (header.round !== context.round) return reject(UPDATE_REJECTIONS.wrongRound, `update for round ${header.round}, but round ${context.round} is open`);
  if (header.baseVersion !== context.baseVersion) return reject(UPDATE_REJECTIONS.wrongBaseVersion, `update built on version ${header.baseVersion}, but round ${context.round} started from version ${context.baseVersion}`);
  if (context.seenNonces.has(header.nonce)) return reject(UPDATE_REJECTIONS.replay, `nonce of site "${header.siteId}" was already used (replayed upload)`);
  if (context.acceptedSites.has(header.siteId)) return reject(UPDATE_REJECTIONS.duplicate, `site "${header.siteId}" already has an accepted update in round ${context.round}`);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) return reject(UPDATE_REJECTIONS.payloadHash, 'payload does not match the signed sha256 (altered or truncated in transit)');
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
      return reject(UPDATE_REJECTIONS.shapeMismatch, `tensor "${expected.name}" should be [${expected.shape.join(', ')}], got ${tensor ? `[${tensor.shape.join(', ')}]` : 'nothing'}`);
    }
    if (tensor.values.some((v) => !Number.isFinite(v))) return reject(UPDATE_REJECTIONS.nonFinite, `tensor "${expected.name}" holds NaN or infinite values`);
  }
  if (delta.length !== context.layout.length) return reject(UPDATE_REJECTIONS.shapeMismatch, `update has ${delta.length} tensors, expected ${context.layout.length}`);
  const ordered = context.layout.map((l) => byName.get(l.name)!);
  const norm = globalNorm(ordered);
  if (norm > context.maxNorm) return reject(UPDATE_REJECTIONS.normExceeded, `update norm ${norm.toFixed(3)} exceeds the bound ${context.maxNorm}`);
  return { accepted: true, header, delta: ordered, metadata, norm };
}
