import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalBytes, planRound, signBytes } from '@emodistill/core';
import { joinFederation, type SiteAgent } from '../src/index.js';
import { startStandInCoordinator } from './stand-in-coordinator.js';

/** A coordinator from a newer emodistill: its round plan has a version this site does not know. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('a site agent given a round plan of a version it does not know', () => {
  it('refuses it by name and tells the coordinator the round failed here', async () => {
    // arrange
    const { io, coordinatorKeys, siteConfig } = await startStandInCoordinator(cleanups);
    const body = {
      round: 1,
      kind: 'training',
      baseVersion: 1,
      baseSha256: 'a'.repeat(64),
      plan: {
        ...planRound({ method: 'default', localSteps: 5, distill: {} }, 1),
        planVersion: 2,
        privacy: { dpNoise: 1.1 },
      },
      deadline: new Date(Date.now() + 60_000).toISOString(),
    };
    const failed = new Promise<unknown>((resolve) =>
      io.on('connection', (socket) => {
        socket.on('round-failed', resolve);
        socket.emit('round', { body, signature: signBytes(canonicalBytes(body), coordinatorKeys.secretKey) });
      }),
    );

    // act
    const agent: SiteAgent = await joinFederation(siteConfig, { log: pino({ level: 'silent' }) });
    cleanups.push(() => agent.stop());

    // assert
    expect(await failed).toEqual({
      round: 1,
      reason: expect.stringMatching(/^round plan version 2 is not known to this site agent \(it knows version 1\)/),
    });
  });
});
