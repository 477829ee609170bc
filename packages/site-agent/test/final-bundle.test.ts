import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildInitialBundle, canonicalBytes, encodeGeneratorBundle, signBytes } from '@emodistill/core';
import { joinFederation, SITE_AGENT_ERRORS, SiteAgentError, type SiteAgent } from '../src/index.js';
import { SPEC, startStandInCoordinator } from './stand-in-coordinator.js';

/**
 * A coordinator reduced to what this test needs: on 127.0.0.1, it serves global version 1 and
 * announces, signed, that the federation finished at it.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

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
    const bytes = globalVersionBytes();
    const { dir, io, coordinatorKeys, siteConfig } = await startStandInCoordinator(cleanups, (request, response) => {
      response.statusCode = request.url === '/models/1' ? 200 : 404;
      response.end(request.url === '/models/1' ? bytes : undefined);
    });
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const finalBundle = join(dir, 'a-file', 'global.bundle');
    const body = { version: 1, sha256: createHash('sha256').update(bytes).digest('hex') };
    io.on('connection', (socket) =>
      socket.emit('finished', { body, signature: signBytes(canonicalBytes(body), coordinatorKeys.secretKey) }),
    );

    // act
    const agent: SiteAgent = await joinFederation({ ...siteConfig, finalBundle }, { log: pino({ level: 'silent' }) });
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
