import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, generateKeyPair, selectBackend, type FeatureSet } from '@emodistill/core';
import { signAttestation, verifyAttestation } from './attestation.js';
import { runAudit } from './audit.js';
import { evaluateGate } from './gate.js';

const DIMENSION = 8;
const CLASSES = ['angry', 'happy', 'neutral', 'sad'];

/** Speakers whose utterances cluster around a speaker centre plus an emotion offset. */
function corpus(speakers: string[], perSpeaker: number, seed: number): FeatureSet {
  const rng = createRng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const rows = speakers.flatMap((speaker) => {
    const centre = Array.from({ length: DIMENSION }, normal);
    return Array.from({ length: perSpeaker }, (_, u) => ({ speaker, emotion: u % CLASSES.length, values: centre.map((c, d) => c + (d === u % CLASSES.length ? 2 : 0) + 0.5 * normal()) }));
  });
  return {
    ids: rows.map((_, i) => `u${seed}-${i}`),
    speakers: rows.map((r) => r.speaker),
    emotions: rows.map((r) => CLASSES[r.emotion]!),
    sessions: rows.map(() => ''),
    features: Float32Array.from(rows.flatMap((r) => r.values)),
    dimension: DIMENSION,
    classNames: CLASSES,
    spec: { name: 'test', version: '1', params: {}, dimensionNames: Array.from({ length: DIMENSION }, (_, d) => `d${d}`) },
    corpus: { source: 'test', task: 'custom', createdAt: '' },
  };
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('runAudit', () => {
  it('fails the gate for a leaky generator that emits member records plus small noise', () => {
    // arrange
    const members = corpus(['a', 'b', 'c', 'd', 'e', 'f'], 16, 1);
    const holdout = corpus(['x', 'y', 'z', 'w'], 16, 2);
    const rng = createRng(3);
    const leaky: FeatureSet = { ...members, features: Float32Array.from(members.features, (v) => v + 0.01 * (rng.next() - 0.5)) };

    // act
    const report = runAudit(leaky, members, holdout, { subject: 'leaky', resamples: 200 });

    // assert
    expect(report.membership.nearestNeighbour.utteranceAuc.value).toBeGreaterThan(0.95);
    expect(report.memorisation.syntheticShareBelowHoldoutP5).toBeGreaterThan(0.9);
    expect(report.gate.passed).toBe(false);
    expect(report.summary.at(-1)).toContain('FAIL');
    expect(JSON.parse(JSON.stringify(report)).version).toBe(1);
  });
});

describe('attestations', () => {
  it('verify when untouched and not when a figure, the verdict or the signer changes', () => {
    // arrange
    const keys = generateKeyPair();
    const gate = evaluateGate({ membershipAucUpper: 0.55, memorisationShare: 0.04, memorisationBaseline: 0.05 });
    const report = { subject: 'gen.bundle', createdAt: '2026-01-01T00:00:00Z', gate: { ...gate, config: { maxMembershipAucUpper: 0.6, maxMemorisationExcess: 0.02 } } } as unknown as Parameters<typeof signAttestation>[0];

    // act
    const attestation = signAttestation(report, 'ab'.repeat(32), keys);

    // assert
    expect(attestation.body.passed).toBe(true);
    expect(verifyAttestation(attestation)).toBe(true);
    expect(verifyAttestation({ ...attestation, body: { ...attestation.body, passed: false } })).toBe(false);
    expect(verifyAttestation({ ...attestation, body: { ...attestation.body, checks: [{ ...attestation.body.checks[0]!, value: 0.5 }, attestation.body.checks[1]!] } })).toBe(false);
    const forger = generateKeyPair();
    const forged = signAttestation(report, 'ab'.repeat(32), forger);
    expect(verifyAttestation({ ...forged, body: { ...forged.body, sitePublicKey: attestation.body.sitePublicKey } })).toBe(false);
  });
});
