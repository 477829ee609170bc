import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  computeMoments,
  decodeSafetensors,
  epsilonOf,
  planRound,
  PROTOCOL,
  readFeatureSet,
  resolveDistillConfig,
  signBytes,
  type RoundDistillOptions,
  type SignedUpdate,
} from '@emodistill/core';
import { joinFederation, SITE_AGENT_ERRORS, type SiteConfig } from '../src/index.js';
import { planPrivateTraining, readPrivacyLedger } from '../src/privacy-ledger.js';
import { startStandInCoordinator } from './stand-in-coordinator.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** DP-SGD as a federation plans it (the terms outside the critic off). */
const DP_SGD: RoundDistillOptions = {
  dpClipNorm: 1,
  dpNoiseMultiplier: 1.5,
  batchSampling: 'poisson',
  featureMatchingWeight: 0,
  softmaxMatchingWeight: 0,
};

type Round0 =
  | { readonly kind: 'uploaded'; readonly envelope: SignedUpdate; readonly payload: Uint8Array }
  | { readonly kind: 'failed'; readonly reason: string };

/** Announces a statistics round planned with `distill` to one site, and returns what the site did. */
async function statisticsRound(
  distill: RoundDistillOptions,
  privacy: Partial<SiteConfig['privacy']> = {},
): Promise<{ round0: Round0; siteConfig: SiteConfig }> {
  let settle: (round0: Round0) => void = () => undefined;
  const done = new Promise<Round0>((resolve) => (settle = resolve));
  const { io, coordinatorKeys, siteConfig } = await startStandInCoordinator(cleanups, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const header = String(request.headers[PROTOCOL.updateHeader] ?? '');
      const envelope = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as SignedUpdate;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ accepted: true, duplicate: false, round: 0, siteId: envelope.header.siteId }));
      settle({ kind: 'uploaded', envelope, payload: new Uint8Array(Buffer.concat(chunks)) });
    });
  });
  const body = {
    round: 0,
    kind: 'statistics',
    baseVersion: 0,
    baseSha256: '',
    plan: planRound({ method: 'default', localSteps: 5, distill }, 0),
    deadline: new Date(Date.now() + 60_000).toISOString(),
  };
  io.on('connection', (socket) => {
    socket.on('round-failed', (failure: { reason: string }) => settle({ kind: 'failed', reason: failure.reason }));
    socket.emit('round', { body, signature: signBytes(canonicalBytes(body), coordinatorKeys.secretKey) });
  });
  const config = { ...siteConfig, privacy: { ...siteConfig.privacy, ...privacy } };
  const agent = await joinFederation(config, { log: pino({ level: 'silent' }) });
  cleanups.push(() => agent.stop());
  return { round0: await done, siteConfig: config };
}

/** The moments in a statistics payload. */
function momentsOf(payload: Uint8Array): { mean: number[]; variance: number[] } {
  const { tensors } = decodeSafetensors(payload, 'statistics');
  const values = (name: string): number[] => Array.from(tensors.find((t) => t.name === name)!.values);
  return { mean: values(PROTOCOL.momentMeanTensor), variance: values(PROTOCOL.momentVarianceTensor) };
}

describe("a site's round 0 under differential privacy", () => {
  it('sends private moments when the plan trains with DP, recorded in the ledger and counted in the budget', async () => {
    // act
    const { round0, siteConfig } = await statisticsRound(DP_SGD, { maxEpsilon: 8 });

    // assert: the moments are not the exact ones, and all of them usable
    expect(round0.kind).toBe('uploaded');
    if (round0.kind !== 'uploaded') return;
    const set = await readFeatureSet(siteConfig.features);
    const exact = computeMoments(set.features, set.dimension);
    const sent = momentsOf(round0.payload);
    expect(sent.mean).not.toEqual(Array.from(exact.mean));
    expect(sent.variance).not.toEqual(Array.from(exact.variance));
    expect(sent.variance.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(sent.mean.every(Number.isFinite)).toBe(true);
    expect(round0.envelope.header.numExamples).toBeGreaterThanOrEqual(1);
    // the release is in the ledger (σ 7, 5 Gaussian releases at sampling rate 1) ...
    const ledger = await readPrivacyLedger(siteConfig.privacy.ledger, siteConfig.siteId);
    expect(ledger.entries).toEqual([
      { round: 0, kind: 'statistics', samplingRate: 1, noiseMultiplier: 7, steps: 5, at: expect.any(String) },
    ]);
    // ... and the first training round's spend includes it
    const distill = resolveDistillConfig(DP_SGD);
    const training = planPrivateTraining({ round: 1, localSteps: 5, distill, set }, ledger)!;
    const alone = planPrivateTraining({ round: 1, localSteps: 5, distill, set }, { ...ledger, entries: [] })!;
    const moments = epsilonOf({ samplingRate: 1, noiseMultiplier: 7, steps: 5 }, 1e-5).epsilon;
    expect(moments).toBeCloseTo(1.584, 3);
    expect(training.spent.epsilonUtterance).toBeGreaterThan(Math.max(moments, alone.spent.epsilonUtterance));
  });

  it('refuses round 0, recording nothing, when the moments alone would pass the budget', async () => {
    // act: ε 1.58 of the moments against a budget of 1
    const { round0, siteConfig } = await statisticsRound(DP_SGD, { maxEpsilon: 1 });

    // assert
    expect(round0).toEqual({
      kind: 'failed',
      reason: expect.stringMatching(
        /round 0 would take this site's ε to 1\.58 .* above its privacy.maxEpsilon 1: not sending its statistics/,
      ),
    });
    expect((await readPrivacyLedger(siteConfig.privacy.ledger, siteConfig.siteId)).entries).toEqual([]);
    expect(SITE_AGENT_ERRORS.privacyBudgetExceeded).toBe('PRIVACY_BUDGET_EXCEEDED');
  });

  it('sends private moments under a budget even when the plan has no DP, at the σ the site config sets', async () => {
    // act
    const { round0, siteConfig } = await statisticsRound({}, { maxEpsilon: 50, statisticsNoiseMultiplier: 2 });

    // assert
    expect(round0.kind).toBe('uploaded');
    const ledger = await readPrivacyLedger(siteConfig.privacy.ledger, siteConfig.siteId);
    expect(ledger.entries).toMatchObject([
      { round: 0, kind: 'statistics', samplingRate: 1, noiseMultiplier: 2, steps: 5 },
    ]);
  });

  it('sends the exact moments, and keeps no ledger, when the site trains without DP and has no budget', async () => {
    // act
    const { round0, siteConfig } = await statisticsRound({});

    // assert
    expect(round0.kind).toBe('uploaded');
    if (round0.kind !== 'uploaded') return;
    const set = await readFeatureSet(siteConfig.features);
    const exact = computeMoments(set.features, set.dimension);
    expect(momentsOf(round0.payload)).toEqual({ mean: Array.from(exact.mean), variance: Array.from(exact.variance) });
    expect(round0.envelope.header.numExamples).toBe(set.ids.length);
    await expect(readFile(siteConfig.privacy.ledger)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
