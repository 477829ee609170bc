import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  encodeKey,
  generateKeyPair,
  planRound,
  PROTOCOL,
  signBytes,
  writeFeatureSet,
  writeKeyFile,
  type FeatureSet,
} from '@emodistill/core';
import { joinFederation, type SiteAgent } from '../src/index.js';

/**
 * A coordinator from a newer emodistill, reduced to what this test needs: a socket.io endpoint on
 * 127.0.0.1 that signs a round announcement whose plan has a version this site does not know.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tinyFeatureSet(): FeatureSet {
  const rows = 8;
  return {
    ids: Array.from({ length: rows }, (_, i) => `u${i}`),
    speakers: Array.from({ length: rows }, (_, i) => `s${i % 2}`),
    emotions: Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 'angry' : 'sad')),
    sessions: Array.from({ length: rows }, () => ''),
    features: Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)),
    dimension: 3,
    classNames: ['angry', 'sad'],
    spec: { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] },
    corpus: { source: 'test', task: 'custom', createdAt: new Date(0).toISOString() },
  };
}

describe('a site agent given a round plan of a version it does not know', () => {
  it('refuses it by name and tells the coordinator the round failed here', async () => {
    // arrange
    const dir = await mkdtemp(join(tmpdir(), 'emodistill-plan-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const coordinatorKeys = generateKeyPair();
    await writeKeyFile(join(dir, 'site.key'), generateKeyPair());
    await writeFeatureSet(join(dir, 'site.arrow'), tinyFeatureSet());
    const http = createServer();
    const io = new Server(http, { path: PROTOCOL.socketPath });
    cleanups.push(() => new Promise((resolve) => io.close(resolve)));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const body = {
      round: 1,
      kind: 'training',
      baseVersion: 1,
      baseSha256: 'a'.repeat(64),
      plan: { ...planRound({ localSteps: 5, distill: {} }, 1), planVersion: 2, privacy: { dpNoise: 1.1 } },
      deadline: new Date(Date.now() + 60_000).toISOString(),
    };
    const failed = new Promise<unknown>((resolve) =>
      io.on('connection', (socket) => {
        socket.on('round-failed', resolve);
        socket.emit('round', { body, signature: signBytes(canonicalBytes(body), coordinatorKeys.secretKey) });
      }),
    );

    // act
    const agent: SiteAgent = await joinFederation(
      {
        siteId: 'lab-a',
        keyFile: join(dir, 'site.key'),
        coordinator: { url, publicKey: encodeKey(coordinatorKeys.publicKey) },
        features: join(dir, 'site.arrow'),
        auditHoldoutSpeakers: [],
        backend: 'cpu',
        compute: 'auto',
      },
      { log: pino({ level: 'silent' }) },
    );
    cleanups.push(() => agent.stop());

    // assert
    expect(await failed).toEqual({
      round: 1,
      reason: expect.stringMatching(/^round plan version 2 is not known to this site agent \(it knows version 1\)/),
    });
  });
});
