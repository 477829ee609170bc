import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeKey, generateKeyPair, writeKeyFile } from '@emodistill/core/federation';
import { resolveCoordinatorConfig } from './config.js';
import { COORDINATOR_ERRORS, CoordinatorError } from './errors.js';
import { startCoordinator } from './server.js';

let dir: string;
let blocker: Server | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-server-'));
  await writeKeyFile(join(dir, 'coordinator.key'), generateKeyPair());
});

afterEach(async () => {
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A valid config in `dir` with these fields replaced. */
function configWith(fields: Record<string, unknown>): ReturnType<typeof resolveCoordinatorConfig> {
  return resolveCoordinatorConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: 'data',
      keyFile: 'coordinator.key',
      adminPublicKeys: [encodeKey(generateKeyPair().publicKey)],
      model: {
        classNames: ['angry', 'sad'],
        featureDimension: 3,
        noiseDimension: 2,
        hiddenUnits: [4],
      },
      ...fields,
    },
    'test config',
    dir,
  );
}

describe('startCoordinator refuses what the operator must fix with a coordinator code', () => {
  it('a dataDir that cannot hold the store (DATA_DIR_UNUSABLE, naming it)', async () => {
    // arrange
    await writeFile(join(dir, 'a-file'), 'not a folder');

    // act
    const refusal = startCoordinator(configWith({ dataDir: 'a-file/data' }));

    // assert
    await expect(refusal).rejects.toBeInstanceOf(CoordinatorError);
    await expect(refusal).rejects.toMatchObject({
      code: COORDINATOR_ERRORS.dataDirUnusable,
      message: expect.stringContaining(`dataDir ${join(dir, 'a-file', 'data')} cannot hold the coordinator's store`),
    });
  });

  it('a listen address in use (LISTEN_FAILED, naming host and port)', async () => {
    // arrange
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };

    // act
    const refusal = startCoordinator(configWith({ listen: { host: '127.0.0.1', port } }));

    // assert
    await expect(refusal).rejects.toMatchObject({
      code: COORDINATOR_ERRORS.listenFailed,
      message: expect.stringMatching(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port} .*another process listens`)),
    });
  });

  it('an unreadable TLS file (TLS_FILE_UNREADABLE, naming it)', async () => {
    // arrange
    const tls = { certFile: 'missing-cert.pem', keyFile: 'missing-key.pem' };

    // act
    const refusal = startCoordinator(configWith({ tls }));

    // assert
    await expect(refusal).rejects.toMatchObject({
      code: COORDINATOR_ERRORS.tlsFileUnreadable,
      message: expect.stringContaining(`cannot read TLS file ${join(dir, 'missing-cert.pem')}`),
    });
  });
});
