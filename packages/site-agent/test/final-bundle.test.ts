import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildInitialBundle,
  canonicalBytes,
  encodeGeneratorBundle,
  encodeKey,
  generateKeyPair,
  PROTOCOL,
  signBytes,
  writeFeatureSet,
  writeKeyFile,
  type FeatureSet,
} from '@emodistill/core';
import { joinFederation, SITE_AGENT_ERRORS, SiteAgentError, type SiteAgent } from '../src/index.js';

/**
 * A coordinator reduced to what this test needs: on 127.0.0.1, it serves global version 1 and
 * announces, signed, that the federation finished at it.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const SPEC = { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] };

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
    spec: SPEC,
    corpus: { source: 'test', task: 'custom', createdAt: new Date(0).toISOString() },
  };
}

/** Global version 1 of a two-class, three-dimension federation, encoded. */
function globalVersionBytes(): Uint8Array {
  const moments = { mean: new Float32Array(3), variance: Float32Array.of(1, 1, 1), featureSpec: SPEC, speakers: 2 };
  return encodeGeneratorBundle(
    buildInitialBundle({
      sites: [{ siteId: 'lab-a', numExamples: 8, ...moments }],
      architecture: { noiseDimension: 2, hiddenUnits: [4], classCount: 2, outputDimension: 3 },
      classNames: ['angry', 'sad'],
      seed: 0,
      latentRadius: 0,
      trainingConfig: {},
      strategy: 'fed-avg',
      statisticsRound: 0,
      createdAt: new Date(0).toISOString(),
    }),
  );
}

describe('a site agent whose finalBundle cannot be written', () => {
  it('ends with FINAL_BUNDLE_UNWRITABLE naming the path, not with the file system error', async () => {
    // arrange
    const dir = await mkdtemp(join(tmpdir(), 'emodistill-final-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const coordinatorKeys = generateKeyPair();
    await writeKeyFile(join(dir, 'site.key'), generateKeyPair());
    await writeFeatureSet(join(dir, 'site.arrow'), tinyFeatureSet());
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const finalBundle = join(dir, 'a-file', 'global.bundle');
    const bytes = globalVersionBytes();
    const http = createServer((request, response) => {
      response.statusCode = request.url === '/models/1' ? 200 : 404;
      response.end(request.url === '/models/1' ? bytes : undefined);
    });
    const io = new Server(http, { path: PROTOCOL.socketPath });
    cleanups.push(() => new Promise((resolve) => io.close(resolve)));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const body = { version: 1, sha256: createHash('sha256').update(bytes).digest('hex') };
    io.on('connection', (socket) =>
      socket.emit('finished', { body, signature: signBytes(canonicalBytes(body), coordinatorKeys.secretKey) }),
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
        finalBundle,
      },
      { log: pino({ level: 'silent' }) },
    );
    cleanups.push(() => agent.stop());
    const outcome = await agent.finished.catch((error: unknown) => error);

    // assert
    expect(outcome).toBeInstanceOf(SiteAgentError);
    expect(outcome).toMatchObject({
      code: SITE_AGENT_ERRORS.finalBundleUnwritable,
      message: expect.stringMatching(
        new RegExp(`^cannot write the final global generator to finalBundle ${finalBundle}: `),
      ),
    });
  });
});
