import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, encodeKey, generateKeyPair, signBytes } from '../crypto/signing.js';
import { encodeSafetensors } from '../formats/safetensors.js';
import type { NamedTensor } from '../tensors/named-tensor.js';
import type { UpdateHeader } from './messages.js';
import { UPDATE_REJECTIONS, validateUpdate, type UpdateContext } from './validate-update.js';

const site = generateKeyPair();
const LAYOUT = [
  { name: 'generator/dense0/kernel', shape: [2, 3] },
  { name: 'generator/dense0/bias', shape: [3] },
];

function tensors(scale = 0.1): NamedTensor[] {
  return LAYOUT.map((l) => ({
    name: l.name,
    shape: l.shape,
    values: Float32Array.from({ length: l.shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * (i + 1)),
  }));
}

function upload(
  overrides: Partial<UpdateHeader> = {},
  payload = encodeSafetensors(tensors(), {}),
  keys = site,
): { envelope: unknown; payload: Uint8Array } {
  const header: UpdateHeader = {
    siteId: 'site-a',
    round: 2,
    baseVersion: 5,
    numExamples: 120,
    sha256: createHash('sha256').update(payload).digest('hex'),
    metrics: { wasserstein: 1.5 },
    nonce: randomBytes(16).toString('hex'),
    time: '2026-11-24T00:00:00Z',
    ...overrides,
  };
  return { envelope: { header, signature: signBytes(canonicalBytes(header), keys.secretKey) }, payload };
}

function context(overrides: Partial<UpdateContext> = {}): UpdateContext {
  return {
    sitePublicKeys: new Map([['site-a', encodeKey(site.publicKey)]]),
    round: 2,
    baseVersion: 5,
    participants: new Set(['site-a']),
    timeWindow: { notBefore: new Date('2026-11-23T23:55:00Z'), notAfter: new Date('2026-11-24T00:05:00Z') },
    maxExamples: 10_000_000,
    seenNonces: new Set(),
    acceptedSites: new Set(),
    layout: LAYOUT,
    maxPayloadBytes: 10_000,
    maxNorm: 10,
    ...overrides,
  };
}

describe('validateUpdate', () => {
  it('accepts a well-formed signed update and returns Δ in layout order with its norm', () => {
    // arrange
    const { envelope, payload } = upload();

    // act
    const verdict = validateUpdate(envelope, payload, context());

    // assert
    expect(verdict.accepted).toBe(true);
    if (verdict.accepted) {
      expect(verdict.delta.map((t) => t.name)).toEqual(LAYOUT.map((l) => l.name));
      expect(verdict.norm).toBeCloseTo(Math.hypot(...tensors().flatMap((t) => Array.from(t.values))), 5);
      expect(verdict.header.numExamples).toBe(120);
    }
  });

  const cases: [string, () => [unknown, Uint8Array, UpdateContext], string][] = [
    [
      'an unknown site',
      () => {
        const u = upload({ siteId: 'mallory' });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.unknownSite,
    ],
    [
      'a bad signature (signed by another key)',
      () => {
        const u = upload({}, undefined, generateKeyPair());
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.badSignature,
    ],
    [
      'a header altered after signing',
      () => {
        const u = upload();
        const e = u.envelope as { header: UpdateHeader; signature: string };
        return [{ ...e, header: { ...e.header, numExamples: 99999 } }, u.payload, context()];
      },
      UPDATE_REJECTIONS.badSignature,
    ],
    [
      'the wrong round',
      () => {
        const u = upload({ round: 1 });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.wrongRound,
    ],
    [
      'a site that is not a participant of the round',
      () => {
        const u = upload();
        return [u.envelope, u.payload, context({ participants: new Set(['site-b']) })];
      },
      UPDATE_REJECTIONS.notParticipant,
    ],
    [
      'a signed time before the round opened',
      () => {
        const u = upload({ time: '2001-01-01T00:00:00Z' });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.timeOutOfWindow,
    ],
    [
      'a signed time in the future',
      () => {
        const u = upload({ time: '2026-11-24T01:00:00Z' });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.timeOutOfWindow,
    ],
    [
      'a signed time that is not a date',
      () => {
        const u = upload({ time: 'yesterday' });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.timeOutOfWindow,
    ],
    [
      'numExamples over the per-site limit (it weights aggregation)',
      () => {
        const u = upload({ numExamples: 1e308 });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.examplesOutOfRange,
    ],
    [
      'the wrong base version',
      () => {
        const u = upload({ baseVersion: 4 });
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.wrongBaseVersion,
    ],
    [
      'a replayed nonce',
      () => {
        const u = upload({ nonce: 'f'.repeat(32) });
        return [u.envelope, u.payload, context({ seenNonces: new Set(['f'.repeat(32)]) })];
      },
      UPDATE_REJECTIONS.replay,
    ],
    [
      'a second update from an accepted site',
      () => {
        const u = upload();
        return [u.envelope, u.payload, context({ acceptedSites: new Set(['site-a']) })];
      },
      UPDATE_REJECTIONS.duplicate,
    ],
    [
      'an oversized payload',
      () => {
        const u = upload();
        return [u.envelope, u.payload, context({ maxPayloadBytes: 10 })];
      },
      UPDATE_REJECTIONS.oversized,
    ],
    [
      'a payload altered in transit',
      () => {
        const u = upload();
        const altered = Uint8Array.from(u.payload);
        altered[altered.length - 1]! ^= 1;
        return [u.envelope, altered, context()];
      },
      UPDATE_REJECTIONS.payloadHash,
    ],
    [
      'a shape mismatch',
      () => {
        const u = upload(
          {},
          encodeSafetensors([{ name: LAYOUT[0]!.name, shape: [3, 2], values: new Float32Array(6) }, tensors()[1]!], {}),
        );
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.shapeMismatch,
    ],
    [
      'NaN values',
      () => {
        const bad = tensors();
        bad[1]!.values[0] = Number.NaN;
        const u = upload({}, encodeSafetensors(bad, {}));
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.nonFinite,
    ],
    [
      'a norm over the bound',
      () => {
        const u = upload({}, encodeSafetensors(tensors(100), {}));
        return [u.envelope, u.payload, context()];
      },
      UPDATE_REJECTIONS.normExceeded,
    ],
    [
      'a malformed envelope',
      () => [{ header: { siteId: 'site-a' } }, new Uint8Array(8), context()],
      UPDATE_REJECTIONS.malformed,
    ],
  ];

  it.each(cases)('rejects %s with a reason and leaves the context untouched', (_, build, expected) => {
    // arrange
    const [envelope, payload, ctx] = build();
    const before = JSON.stringify([...(ctx.seenNonces as Set<string>), ...(ctx.acceptedSites as Set<string>)]);

    // act
    const verdict = validateUpdate(envelope, payload, ctx);

    // assert
    expect(verdict.accepted).toBe(false);
    if (!verdict.accepted) {
      expect(verdict.reason).toBe(expected);
      expect(verdict.message.length).toBeGreaterThan(10);
    }
    expect(JSON.stringify([...(ctx.seenNonces as Set<string>), ...(ctx.acceptedSites as Set<string>)])).toBe(before);
  });
});
