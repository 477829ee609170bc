import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeKey, generateKeyPair, readKeyFile, restrictClasses, writeFeatureSet } from '@emodistill/core';
import { loadCoordinatorConfig, startCoordinator } from '@emodistill/coordinator';
import { loadSiteConfig } from '@emodistill/site-agent';
import { freePort, syntheticCorpus } from '../../../test/federation-fixtures.js';
import { EXIT_CODES, main } from '../src/index.js';

/*
 * `federation init`, `coordinator check` and `site check`, run in-process on real files, real
 * sockets on 127.0.0.1 and (for the coordinator's answer) a real coordinator.
 */

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'emodistill', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

const SITES = ['hospital-a', 'lab-b', 'uni-c'];
let dir: string;
let sample: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-provision-'));
  sample = join(dir, 'sample.arrow');
  await writeFeatureSet(sample, syntheticCorpus(4));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** `federation init` for SITES at `url` into dir/kits. */
function init(url: string, ...extra: string[]): ReturnType<typeof run> {
  return run(
    'federation',
    'init',
    '--sites',
    SITES.join(','),
    '--url',
    url,
    '--features-from',
    sample,
    '--out',
    join(dir, 'kits'),
    '--listen-host',
    '127.0.0.1',
    ...extra,
  );
}

const kit = (...path: string[]): string => join(dir, 'kits', ...path);
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

/** Makes a site ready as its operator would: its own key and its feature set in its kit. */
async function prepareSite(siteId: string, features = syntheticCorpus(4)): Promise<string> {
  await writeFeatureSet(kit('sites', siteId, 'features.arrow'), features);
  expect((await run('keys', 'generate', '--out', kit('sites', siteId, 'site.key'))).code).toBe(EXIT_CODES.ok);
  return kit('sites', siteId, 'site.json');
}

async function listen(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

describe('emodistill federation init', () => {
  it("writes the coordinator's and operator's keys (0600), a config its own schema loads, and site kits without site keys", async () => {
    // arrange / act
    const result = await init('http://127.0.0.1:8470', '--json');
    const help = await run('federation', 'init', '--help');

    // assert
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    const printed = JSON.parse(result.stdout) as {
      coordinator: { publicKey: string };
      operator: { publicKey: string };
    };
    const config = await loadCoordinatorConfig(kit('coordinator', 'coordinator.json'));
    const coordinatorKeys = await readKeyFile(config.keyFile);
    expect(encodeKey(coordinatorKeys.publicKey)).toBe(printed.coordinator.publicKey);
    expect(config.adminPublicKeys).toEqual([encodeKey((await readKeyFile(kit('operator', 'admin.key'))).publicKey)]);
    expect(config).toMatchObject({
      listen: { host: '127.0.0.1', port: 8470 },
      sites: [],
      model: { classNames: ['angry', 'happy', 'neutral', 'sad'], featureDimension: 4 },
      rounds: { minSites: 3, auto: 0 },
    });
    expect(await modeOf(kit('coordinator', 'coordinator.key'))).toBe(0o600);
    expect(await modeOf(kit('operator', 'admin.key'))).toBe(0o600);
    for (const site of SITES) {
      expect((await readdir(kit('sites', site))).sort()).toEqual(['README.md', 'federation.json', 'site.json']);
      const spec = JSON.parse(await readFile(kit('sites', site, 'federation.json'), 'utf8')) as Record<string, unknown>;
      expect(spec).toMatchObject({
        coordinator: { url: 'http://127.0.0.1:8470', publicKey: printed.coordinator.publicKey },
        classNames: ['angry', 'happy', 'neutral', 'sad'],
        featureSpec: { name: 'synthetic-test', dimensionNames: ['f0', 'f1', 'f2', 'f3'] },
      });
      const siteConfig = await loadSiteConfig(kit('sites', site, 'site.json'));
      expect(siteConfig).toMatchObject({ siteId: site, coordinator: spec.coordinator });
      expect(await readFile(kit('sites', site, 'README.md'), 'utf8')).toContain(
        'emodistill keys generate --out site.key',
      );
    }
    expect(help.stdout).toMatch(/could sign that site's\s+model updates and audit attestations/);
  });

  it('refuses to overwrite the keys of an earlier run, and leaves them unchanged', async () => {
    // arrange
    expect((await init('http://127.0.0.1:8470')).code).toBe(EXIT_CODES.ok);
    const before = await Promise.all(
      [kit('coordinator', 'coordinator.key'), kit('operator', 'admin.key')].map((path) => readFile(path, 'utf8')),
    );

    // act
    const again = await init('http://127.0.0.1:8470');

    // assert
    expect(again.code).toBe(EXIT_CODES.failure);
    expect(again.stderr).toContain('[KIT_EXISTS]');
    expect(again.stderr).toContain(kit('coordinator', 'coordinator.key'));
    expect(again.stderr).toContain(kit('operator', 'admin.key'));
    expect(
      await Promise.all(
        [kit('coordinator', 'coordinator.key'), kit('operator', 'admin.key')].map((path) => readFile(path, 'utf8')),
      ),
    ).toEqual(before);
  });

  it("puts sites' public keys from --site-keys in the config, and refuses a key for a site not in --sites", async () => {
    // arrange
    const keys = Object.fromEntries(SITES.slice(0, 2).map((site) => [site, encodeKey(generateKeyPair().publicKey)]));
    await writeFile(join(dir, 'keys.json'), JSON.stringify(keys));
    await writeFile(join(dir, 'stranger.json'), JSON.stringify({ stranger: keys[SITES[0]!] }));

    // act
    const refused = await init('http://127.0.0.1:8470', '--site-keys', join(dir, 'stranger.json'));
    const made = await init('http://127.0.0.1:8470', '--site-keys', join(dir, 'keys.json'));

    // assert
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stderr).toContain('"stranger" is not one of --sites');
    expect(made.code, made.stderr).toBe(EXIT_CODES.ok);
    expect((await loadCoordinatorConfig(kit('coordinator', 'coordinator.json'))).sites).toEqual([
      { id: SITES[0], publicKey: keys[SITES[0]!] },
      { id: SITES[1], publicKey: keys[SITES[1]!] },
    ]);
    expect(made.stdout).toContain('waiting for: uni-c');
  });

  it('serves https only with a certificate and key that belong together; copies the certificate into the site kits', async () => {
    // arrange: two self-signed certificates for 127.0.0.1
    const certificate = async (name: string): Promise<{ cert: string; key: string }> => {
      const paths = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        paths.key,
        '-out',
        paths.cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ]);
      return paths;
    };
    const [one, other] = await Promise.all([certificate('one'), certificate('other')]);

    // act
    const withoutTls = await init('https://127.0.0.1:8470');
    const mismatched = await init('https://127.0.0.1:8470', '--tls-cert', one.cert, '--tls-key', other.key);
    const made = await init('https://127.0.0.1:8470', '--tls-cert', one.cert, '--tls-key', one.key);
    const checked = await run('coordinator', 'check', '--config', kit('coordinator', 'coordinator.json'));

    // assert
    expect([withoutTls.code, withoutTls.stderr]).toEqual([EXIT_CODES.failure, expect.stringContaining('--tls-cert')]);
    expect([mismatched.code, mismatched.stderr]).toEqual([
      EXIT_CODES.failure,
      expect.stringContaining('[TLS_FILES_UNUSABLE]'),
    ]);
    expect(made.code, made.stderr).toBe(EXIT_CODES.ok);
    expect(await modeOf(kit('coordinator', 'tls-key.pem'))).toBe(0o600);
    expect(await readFile(kit('sites', SITES[0]!, 'coordinator-cert.pem'), 'utf8')).toBe(
      await readFile(one.cert, 'utf8'),
    );
    expect(checked.code, checked.stdout).toBe(EXIT_CODES.ok);
    expect(checked.stdout).toMatch(/tls: certificate for CN=127\.0\.0\.1 and its key match/);
  });
});

describe('emodistill coordinator check', () => {
  it('passes a fresh kit, and lists all three mistakes of a config at once, each naming its field', async () => {
    // arrange: a schema error, a key file that is not there, and a port another process holds
    const port = await freePort();
    expect((await init(`http://127.0.0.1:${port}`)).code).toBe(EXIT_CODES.ok);
    const path = kit('coordinator', 'coordinator.json');
    const fresh = await run('coordinator', 'check', '--config', path);
    const config = JSON.parse(await readFile(path, 'utf8')) as {
      training: { localSteps: number };
      keyFile: string;
    };
    config.training.localSteps = 0;
    config.keyFile = 'missing.key';
    await writeFile(path, JSON.stringify(config));
    await listen(port);

    // act
    const checked = await run('coordinator', 'check', '--config', path, '--json');

    // assert
    expect(fresh.code, fresh.stdout).toBe(EXIT_CODES.ok);
    expect(checked.code).toBe(EXIT_CODES.failure);
    const report = JSON.parse(checked.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      '/training/localSteps must be ≥ 1 (got 0)',
      expect.stringMatching(/^keyFile: cannot read key file .*missing\.key/),
      expect.stringMatching(
        new RegExp(`^listen: cannot listen on 127\\.0\\.0\\.1:${port}: another process listens there`),
      ),
    ]);
  });
});

describe('emodistill site check', () => {
  it("catches a feature set whose classes are not the federation's, naming both lists and the fix", async () => {
    // arrange: a site that imported only three of the four classes
    expect((await init('http://127.0.0.1:8470')).code).toBe(EXIT_CODES.ok);
    const good = await prepareSite(SITES[0]!);
    const wrong = await prepareSite(SITES[1]!, restrictClasses(syntheticCorpus(4), ['angry', 'happy', 'sad']));

    // act
    const passed = await run('site', 'check', '--config', good, '--offline');
    const refused = await run('site', 'check', '--config', wrong, '--offline');

    // assert
    expect(passed.code, passed.stdout).toBe(EXIT_CODES.ok);
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stdout).toContain('1 problem');
    expect(refused.stdout).toContain(
      "has classes [angry, happy, sad], the federation's are [angry, happy, neutral, sad] (lacks [neutral]): re-import the corpus with --classes angry,happy,neutral,sad",
    );
  });

  it('asks the coordinator: refused until the operator adds the site, then answered signed by the pinned key; a wrong pin is caught', async () => {
    // arrange: the kit's coordinator running (in-process, 127.0.0.1)
    const port = await freePort();
    expect((await init(`http://127.0.0.1:${port}`)).code).toBe(EXIT_CODES.ok);
    const running = await startCoordinator(await loadCoordinatorConfig(kit('coordinator', 'coordinator.json')));
    cleanups.push(() => running.close());
    const config = await prepareSite(SITES[0]!);
    const publicKey = encodeKey((await readKeyFile(kit('sites', SITES[0]!, 'site.key'))).publicKey);
    const admin = ['--url', running.url, '--admin-key', kit('operator', 'admin.key')];

    // act
    const beforeAdded = await run('site', 'check', '--config', config);
    const added = await run('sites', 'add', SITES[0]!, publicKey, ...admin);
    const afterAdded = await run('site', 'check', '--config', config);
    const pinned = JSON.parse(await readFile(config, 'utf8')) as { coordinator: { publicKey: string } };
    pinned.coordinator.publicKey = encodeKey(generateKeyPair().publicKey);
    await writeFile(config, JSON.stringify(pinned));
    const wrongPin = await run('site', 'check', '--config', config, '--json');

    // assert
    expect(beforeAdded.code).toBe(EXIT_CODES.failure);
    expect(beforeAdded.stdout).toContain(`site "${SITES[0]}" is not allowed`);
    expect(beforeAdded.stdout).toContain(`emodistill sites add ${SITES[0]} ${publicKey}`);
    expect(added.code, added.stderr).toBe(EXIT_CODES.ok);
    expect(afterAdded.code, afterAdded.stdout).toBe(EXIT_CODES.ok);
    expect(afterAdded.stdout).toContain('signed by the pinned key');
    expect(wrongPin.code).toBe(EXIT_CODES.failure);
    expect((JSON.parse(wrongPin.stdout) as { problems: string[] }).problems).toEqual([
      expect.stringContaining('coordinator.publicKey differs from the coordinator key in the federation spec'),
      expect.stringContaining('is not signed by coordinator.publicKey of the site config'),
    ]);
  });
});
