import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig, startCoordinator, type RunningCoordinator } from '@emodistill/coordinator';
import { setUpFederation, spawnCli } from '@emodistill/harness';
import { syntheticCorpus, waitFor } from './federation-fixtures.js';

let dir: string;
let running: RunningCoordinator | undefined;
const children: ReturnType<typeof spawnCli>[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
  await running?.close();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

function get(url: string, ca?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca && { ca }) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('coordinator over TLS (https and wss)', () => {
  it('serves https with the configured certificate and a site agent joins over wss', async () => {
    // arrange: a self-signed certificate for 127.0.0.1, as a private CA would issue
    dir = await mkdtemp(join(tmpdir(), 'emodistill-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const layout = await setUpFederation({
      train: syntheticCorpus(8),
      sites: 1,
      dir,
      rounds: 0,
      localSteps: 1,
      minSites: 1,
    });
    const raw = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as Record<string, unknown>;
    running = await startCoordinator(
      resolveCoordinatorConfig({ ...raw, tls: { certFile: cert, keyFile: key } }, 'tls config', dir),
    );
    await layout.writeSiteConfigs(running.url);

    // act
    const trusted = await get(`${running.url}/health`, await readFile(cert));
    const untrusted = await get(`${running.url}/health`).then(String, (error: Error) => error.message);
    children.push(
      spawnCli(['--log-level', 'info', 'site', 'join', '--config', layout.sites[0]!.config], join(dir, 'site.log'), {
        NODE_EXTRA_CA_CERTS: cert,
      }),
    );
    const connected = await waitFor(
      'the site over wss',
      async () => {
        const sites = running!.runner.status().connectedSites;
        return sites.length === 1 ? sites : undefined;
      },
      30_000,
    );

    // assert
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(trusted).toBe(200);
    expect(untrusted).toMatch(/self-signed|certificate/);
    expect(connected).toEqual(['site-1']);
  });
});
