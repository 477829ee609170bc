import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  encodeKey,
  encodeSafetensors,
  generateKeyPair,
  PROTOCOL,
  signBytes,
  type KeyPair,
  type SignedUpdate,
  type UpdateHeader,
} from '@emodistill/core/federation';
import { intakeUpdate, updateLayouts, type IntakeContext } from '../src/rounds/intake.js';
import type { RoundRecord } from '../src/store/store.js';

/*
 * The update intake as a pure function: every verdict from a context written out by hand (no
 * store, no HTTP), with real Ed25519 signatures.
 */

const MODEL = {
  classNames: ['angry', 'sad'],
  featureDimension: 3,
  noiseDimension: 2,
  hiddenUnits: [4],
  seed: 0,
};
const LAYOUTS = updateLayouts(MODEL);
const NOW = Date.parse('2030-01-01T00:05:00.000Z');
const FEATURE_SPEC = { name: 'synthetic', version: '1', params: {}, dimensionNames: ['f0', 'f1', 'f2'] };
const keys: Record<string, KeyPair> = { a: generateKeyPair(), b: generateKeyPair(), gone: generateKeyPair() };

const openRound = (overrides: Partial<RoundRecord> = {}): RoundRecord => ({
  round: 3,
  kind: 'training',
  baseVersion: 2,
  state: 'open',
  openedAt: '2030-01-01T00:00:00.000Z',
  deadline: '2030-01-01T00:10:00.000Z',
  participants: ['a', 'b', 'gone'],
  ...overrides,
});

function context(overrides: Partial<IntakeContext> = {}): IntakeContext {
  return {
    sites: [
      { siteId: 'a', publicKey: encodeKey(keys.a!.publicKey), revoked: false },
      { siteId: 'b', publicKey: encodeKey(keys.b!.publicKey), revoked: false },
      { siteId: 'gone', publicKey: encodeKey(keys.gone!.publicKey), revoked: true },
    ],
    round: openRound(),
    now: NOW,
    limits: { maxPayloadBytes: 4096, maxUpdateNorm: 10, maxExamplesPerSite: 1000 },
    layouts: LAYOUTS,
    model: MODEL,
    acceptedByNonce: () => undefined,
    hasUpdate: () => false,
    firstStatistics: () => undefined,
    ...overrides,
  };
}

/** A training delta of `value` everywhere (its norm grows with it). */
function trainingPayload(value = 0.01): Uint8Array {
  return encodeSafetensors(
    LAYOUTS.training.map((l) => ({
      name: l.name,
      shape: [...l.shape],
      values: new Float32Array(l.shape.reduce((n, d) => n * d, 1)).fill(value),
    })),
    {},
  );
}

function statisticsPayload(featureSpec = FEATURE_SPEC, mean = 1): Uint8Array {
  return encodeSafetensors(
    [
      { name: PROTOCOL.momentMeanTensor, shape: [3], values: Float32Array.from([mean, mean, mean]) },
      { name: PROTOCOL.momentVarianceTensor, shape: [3], values: Float32Array.from([1, 1, 1]) },
    ],
    { [PROTOCOL.siteStatisticsKey]: JSON.stringify({ classNames: MODEL.classNames, featureSpec, speakers: 2 }) },
  );
}

function signed(siteId: string, payload: Uint8Array, overrides: Partial<UpdateHeader> = {}): SignedUpdate {
  const header: UpdateHeader = {
    siteId,
    round: 3,
    baseVersion: 2,
    numExamples: 50,
    sha256: createHash('sha256').update(payload).digest('hex'),
    metrics: {},
    nonce: `nonce-of-${siteId}-0123456789`,
    time: new Date(NOW - 1000).toISOString(),
    ...overrides,
  };
  return { header, signature: signBytes(canonicalBytes(header), (keys[siteId] ?? generateKeyPair()).secretKey) };
}

const atHeader = (envelope: unknown, ctx = context(), declaredBytes = 1000, roundInPath = 3) =>
  intakeUpdate({ stage: 'header', roundInPath, envelope, declaredBytes }, ctx);
const atBody = (envelope: unknown, payload: Uint8Array, ctx = context(), roundInPath = 3) =>
  intakeUpdate({ stage: 'body', roundInPath, envelope, payload }, ctx);

describe('update intake: the signed header, before the body', () => {
  it('admits a participant’s update of the open round', () => {
    // arrange
    const envelope = signed('a', trainingPayload());

    // act
    const verdict = atHeader(envelope);

    // assert
    expect(verdict).toEqual({ verdict: 'admitted', header: envelope.header });
  });

  it('refuses in the order of its checks: malformed, identity, signature, round, then the rest', () => {
    // arrange
    const payload = trainingPayload();
    const forged = { ...signed('a', payload), signature: signed('b', payload).signature };

    // act
    const verdicts = [
      atHeader({ header: { siteId: 'a' } }),
      atHeader(signed('stranger', payload)),
      atHeader(signed('gone', payload)),
      atHeader(forged),
      atHeader(signed('a', payload, { round: 4 }), context(), 1000, 4),
      atHeader(signed('a', payload), context({ round: openRound({ state: 'closed' }) })),
      atHeader(signed('a', payload, { baseVersion: 1 })),
      atHeader(signed('a', payload), context({ hasUpdate: (round, siteId) => round === 3 && siteId === 'a' })),
      atHeader(signed('a', payload), context(), 5000),
    ];

    // assert
    expect(verdicts.map((v) => (v.verdict === 'rejected' ? [v.reason, v.siteId] : v.verdict))).toEqual([
      ['MALFORMED', undefined],
      ['UNKNOWN_SITE', 'stranger'],
      ['UNKNOWN_SITE', 'gone'],
      ['BAD_SIGNATURE', 'a'],
      ['WRONG_ROUND', 'a'],
      ['WRONG_ROUND', 'a'],
      ['WRONG_BASE_VERSION', 'a'],
      ['DUPLICATE', 'a'],
      ['OVERSIZED', 'a'],
    ]);
    expect(verdicts.map((v) => (v.verdict === 'rejected' ? v.message : ''))).toEqual([
      expect.stringContaining('signedUpdate field'),
      'site "stranger" is not on the allow-list',
      'site "gone" was revoked',
      'signature of site "a" does not verify',
      'round 3 is open, not 4',
      'round 3 is not open (late or stale update)',
      'update built on version 1, but round 3 started from version 2',
      'site "a" already has an accepted update in round 3',
      'declared body of 5000 bytes exceeds the 4096-byte limit',
    ]);
  });

  it('answers a genuine re-send of an accepted update as before, and refuses any other reuse of its nonce', () => {
    // arrange
    const envelope = signed('a', trainingPayload());
    const accepted = { round: 3, siteId: 'a', sha256: envelope.header.sha256 };
    const ctx = context({ acceptedByNonce: (nonce) => (nonce === envelope.header.nonce ? accepted : undefined) });

    // act
    const resent = atHeader(envelope, ctx);
    const replayedByAnother = atHeader(signed('b', trainingPayload(), { nonce: envelope.header.nonce }), ctx);
    const afterTheRound = atHeader(envelope, { ...ctx, round: openRound({ round: 4 }) }, 1000, 4);

    // assert
    expect(resent).toEqual({ verdict: 'resent', round: 3, siteId: 'a' });
    expect(replayedByAnother).toEqual({
      verdict: 'rejected',
      reason: 'REPLAY',
      message: 'nonce of an update accepted in round 3 was used again (replayed upload)',
      siteId: 'b',
    });
    expect(afterTheRound).toMatchObject({ verdict: 'rejected', reason: 'REPLAY' });
  });
});

describe('update intake: the whole update', () => {
  it('accepts a training update within the norm bound, with its norm', () => {
    // arrange
    const payload = trainingPayload();
    const envelope = signed('a', payload);

    // act
    const verdict = atBody(envelope, payload);

    // assert
    expect(verdict).toMatchObject({ verdict: 'accepted', round: 3, header: envelope.header });
    expect(verdict.verdict === 'accepted' && verdict.norm).toBeGreaterThan(0);
  });

  it('refuses a round closed while the body arrived, an altered payload and an update over the norm bound', () => {
    // arrange
    const payload = trainingPayload();
    const large = trainingPayload(5);

    // act
    const closed = atBody(signed('a', payload), payload, context({ round: openRound({ state: 'closed' }) }));
    const altered = atBody(signed('a', payload), trainingPayload(0.02));
    const tooLarge = atBody(signed('a', large), large);

    // assert
    expect(closed).toEqual({
      verdict: 'rejected',
      reason: 'WRONG_ROUND',
      message: 'round 3 closed while the update was arriving',
    });
    expect(altered).toMatchObject({ verdict: 'rejected', reason: 'PAYLOAD_HASH' });
    expect(tooLarge).toMatchObject({ verdict: 'rejected', reason: 'NORM_EXCEEDED' });
  });

  it('checks statistics against the federation and the round’s first statistics, with no norm bound', () => {
    // arrange
    const ctx = context({ round: openRound({ kind: 'statistics', baseVersion: 0 }) });
    const sound = statisticsPayload(FEATURE_SPEC, 1e6);
    const otherSpace = statisticsPayload({ ...FEATURE_SPEC, version: '2' });
    const huge = statisticsPayload(FEATURE_SPEC, 1e20);
    const first = { siteId: 'b', featureSpec: FEATURE_SPEC };

    // act
    const accepted = atBody(signed('a', sound, { baseVersion: 0 }), sound, ctx);
    const mismatch = atBody(signed('a', otherSpace, { baseVersion: 0 }), otherSpace, {
      ...ctx,
      firstStatistics: () => first,
    });
    const beyond = atBody(signed('a', huge, { baseVersion: 0 }), huge, ctx);
    const trainingShape = atBody(signed('a', trainingPayload(), { baseVersion: 0 }), trainingPayload(), ctx);

    // assert
    expect(accepted).toMatchObject({ verdict: 'accepted', round: 3 });
    expect(mismatch).toEqual({
      verdict: 'rejected',
      reason: 'FEATURE_SPACE',
      message: 'site features are synthetic v2, site "b" sent synthetic v1',
    });
    expect(beyond).toMatchObject({ verdict: 'rejected', reason: 'FEATURE_SPACE' });
    expect(trainingShape).toMatchObject({ verdict: 'rejected', reason: 'SHAPE_MISMATCH' });
  });
});
