import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, generateKeyPair, writeKeyFile } from '@emodistill/core';
import { loadCoordinatorConfig, startCoordinator, type RunningCoordinator } from '@emodistill/coordinator';
import { loadSiteConfig } from '@emodistill/site-agent';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
let dir: string;
let running: RunningCoordinator | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('examples/ config files', () => {
  it('load with the real loaders and start a coordinator once real keys are filled in', async () => {
    // arrange: an operator's steps — copy the examples, generate keys, paste the public keys in
    dir = await mkdtemp(join(tmpdir(), 'emodistill-examples-'));
    const coordinatorKeys = generateKeyPair();
    await writeKeyFile(join(dir, 'coordinator.key'), coordinatorKeys);
    await copyFile(join(EXAMPLES, 'site.json'), join(dir, 'site.json'));
    const example = JSON.parse(await readFile(join(EXAMPLES, 'coordinator.json'), 'utf8')) as {
      listen: { host: string; port: number };
      adminPublicKeys: string[];
    };
    example.adminPublicKeys = [encodeKey(generateKeyPair().publicKey)];
    example.listen = { host: '127.0.0.1', port: 0 };
    await writeFile(join(dir, 'coordinator.json'), JSON.stringify(example));

    // act
    const coordinatorConfig = await loadCoordinatorConfig(join(dir, 'coordinator.json'));
    const siteConfig = await loadSiteConfig(join(dir, 'site.json'));
    running = await startCoordinator(coordinatorConfig);
    const health = await fetch(`${running.url}/health`);

    // assert
    expect(coordinatorConfig.dataDir).toBe(join(dir, 'coordinator-data'));
    expect(coordinatorConfig.sites.map((s) => s.id)).toEqual(['hospital-a', 'university-b', 'lab-c']);
    expect(coordinatorConfig.rounds).toMatchObject({ auto: 10, minSites: 3 });
    expect(siteConfig.features).toBe(join(dir, 'emodb-train.arrow'));
    expect(siteConfig.auditHoldoutSpeakers).toEqual(['03', '10']);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('name the file and field of a mistake', async () => {
    // arrange
    dir = await mkdtemp(join(tmpdir(), 'emodistill-examples-'));
    const site = JSON.parse(await readFile(join(EXAMPLES, 'site.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(
      join(dir, 'site.json'),
      JSON.stringify({ ...site, coordinator: { url: 'ftp://nowhere', publicKey: 'x' } }),
    );

    // act / assert
    await expect(loadSiteConfig(join(dir, 'site.json'))).rejects.toThrow(
      /site\.json: 2 errors: \/coordinator\/url must be an http:\/\/ or https:\/\/ URL \(got "ftp:\/\/nowhere"\); \/coordinator\/publicKey must be an Ed25519 public key/,
    );
  });
});
