import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTH_HEADER,
  canonicalBytes,
  decodeGeneratorBundle,
  encodeGeneratorBundle,
  encodeKey,
  encodeSafetensors,
  generateKeyPair,
  initialGeneratorWeights,
  PROTOCOL,
  signBytes,
  signRequest,
  verifyBytes,
  verifyGeneratorBundle,
  DEFAULT_AUDIT_POLICY,
  checkMessage,
  decideVerdict,
  type Attestation,
  type AuditFigures,
  type AuditPolicy,
  type Verdict,
  type NamedTensor,
  type UpdateHeader,
} from '@emodistill/core/federation';
import { buildCoordinatorApp, type CoordinatorApp } from './app.js';
import { resolveCoordinatorConfig } from './config.js';
import { openStore } from './store/store.js';

// A tiny generator: noise 2 + 2 classes → 4 hidden → 3 features.
const LAYOUT = [
  { name: 'generator/dense0/kernel', shape: [4, 4] },
  { name: 'generator/dense0/bias', shape: [4] },
  { name: 'generator/dense1/kernel', shape: [4, 3] },
  { name: 'generator/dense1/bias', shape: [3] },
];
const site = generateKeyPair();
const coordinatorKeys = generateKeyPair();
const admin = generateKeyPair();
let dir: string;
let coordinator: CoordinatorApp;

function delta(fill: (i: number) => number = (i) => 0.01 * i, layout = LAYOUT): NamedTensor[] {
  return layout.map((l) => ({
    name: l.name,
    shape: l.shape,
    values: Float32Array.from({ length: l.shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
  }));
}

function signedUpload(
  overrides: Partial<UpdateHeader> = {},
  keys = site,
  tensors = delta(),
): { headers: Record<string, string>; payload: Buffer } {
  const payload = Buffer.from(encodeSafetensors(tensors, {}));
  const header: UpdateHeader = {
    siteId: 'site-a',
    round: 3,
    baseVersion: 2,
    numExamples: 50,
    sha256: createHash('sha256').update(payload).digest('hex'),
    metrics: {},
    nonce: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
    ...overrides,
  };
  const envelope = { header, signature: signBytes(canonicalBytes(header), keys.secretKey) };
  return {
    headers: {
      'content-type': 'application/octet-stream',
      [PROTOCOL.updateHeader]: Buffer.from(JSON.stringify(envelope)).toString('base64'),
    },
    payload,
  };
}

const put = (upload: { headers: Record<string, string>; payload: Buffer }, round = 3) =>
  coordinator.app.inject({
    method: 'PUT',
    url: `/rounds/${round}/updates`,
    headers: upload.headers,
    payload: upload.payload,
  });

function adminCall(method: 'GET' | 'POST', url: string, body?: unknown, keys = admin) {
  const text = body === undefined ? '' : JSON.stringify(body);
  return coordinator.app.inject({
    method,
    url,
    headers: {
      [AUTH_HEADER]: signRequest(
        { role: 'admin', id: encodeKey(keys.publicKey), method, path: url, body: text },
        keys.secretKey,
      ),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { payload: text }),
  });
}

function start(auditPolicy?: Partial<AuditPolicy>): void {
  const config = resolveCoordinatorConfig(
    {
      dataDir: dir,
      keyFile: 'unused.key',
      adminPublicKeys: [encodeKey(admin.publicKey)],
      model: {
        classNames: ['angry', 'sad'],
        featureDimension: 3,
        noiseDimension: 2,
        hiddenUnits: [4],
      },
      rounds: { minSites: 2 },
      limits: { maxPayloadBytes: 4096, maxUpdateNorm: 10 },
      ...(auditPolicy && { auditPolicy }),
    },
    'test config',
    dir,
  );
  coordinator = buildCoordinatorApp({ store: openStore(dir), config, keys: coordinatorKeys });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-coordinator-'));
  // arrange (shared): site-a on the allow-list, training round 3 open from version 2, two participants
  const store = openStore(dir);
  store.addSite('site-a', encodeKey(site.publicKey));
  store.addSite('site-b', encodeKey(generateKeyPair().publicKey));
  store.openRound({
    round: 3,
    kind: 'training',
    baseVersion: 2,
    deadline: new Date(Date.now() + 60_000).toISOString(),
    participants: ['site-a', 'site-b'],
  });
  store.close();
  start();
});

afterEach(async () => {
  await coordinator.app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('coordinator HTTP API: updates', () => {
  it('accepts a signed update, answers a re-send idempotently, and keeps it across a restart', async () => {
    // arrange
    const upload = signedUpload();

    // act
    const first = await put(upload);
    const resent = await put(upload);
    await coordinator.app.close();
    start();
    const status = await adminCall('GET', '/admin/status');

    // assert
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ accepted: true, duplicate: false, round: 3, siteId: 'site-a' });
    expect(resent.json()).toMatchObject({ accepted: true, duplicate: true });
    expect(status.json()).toMatchObject({
      round: { round: 3, state: 'open', participants: ['site-a', 'site-b'] },
      acceptedSites: ['site-a'],
    });
  });

  it('rejects forged, stale, wrong-shape, NaN, too-large-norm, second and oversized updates without storing anything', async () => {
    // arrange
    const forged = signedUpload({}, generateKeyPair());
    const stale = signedUpload({ baseVersion: 1 });
    const unknown = signedUpload({ siteId: 'mallory' });
    const wrongShape = signedUpload(
      {},
      site,
      delta(undefined, [{ name: 'generator/dense0/kernel', shape: [4, 5] }, ...LAYOUT.slice(1)]),
    );
    const notFinite = signedUpload(
      {},
      site,
      delta((i) => (i === 3 ? Number.NaN : 0)),
    );
    const tooLarge = signedUpload(
      {},
      site,
      delta(() => 5),
    );

    // act
    const replies = {
      forged: await put(forged),
      stale: await put(stale),
      unknown: await put(unknown),
      wrongShape: await put(wrongShape),
      notFinite: await put(notFinite),
      tooLarge: await put(tooLarge),
      wrongRound: await put(signedUpload(), 7),
      oversized: await coordinator.app.inject({
        method: 'PUT',
        url: '/rounds/3/updates',
        headers: signedUpload().headers,
        payload: Buffer.alloc(5000),
      }),
      noHeader: await coordinator.app.inject({
        method: 'PUT',
        url: '/rounds/3/updates',
        headers: { 'content-type': 'application/octet-stream' },
        payload: forged.payload,
      }),
    };
    const statusBefore = (await adminCall('GET', '/admin/status')).json();
    const accepted = await put(signedUpload());
    const replayed = await put(signedUpload());
    const metrics = await coordinator.app.inject({ method: 'GET', url: '/metrics' });

    // assert
    const code = (reply: { statusCode: number; json(): { code: string } }) => [reply.statusCode, reply.json().code];
    expect(code(replies.forged)).toEqual([403, 'BAD_SIGNATURE']);
    expect(code(replies.stale)).toEqual([409, 'WRONG_BASE_VERSION']);
    expect(code(replies.unknown)).toEqual([403, 'UNKNOWN_SITE']);
    expect(code(replies.wrongShape)).toEqual([422, 'SHAPE_MISMATCH']);
    expect(code(replies.notFinite)).toEqual([422, 'NON_FINITE']);
    expect(code(replies.tooLarge)).toEqual([422, 'NORM_EXCEEDED']);
    expect(code(replies.wrongRound)).toEqual([409, 'WRONG_ROUND']);
    expect(replies.oversized.statusCode).toBe(413);
    expect(replies.noHeader.statusCode).toBe(400);
    expect(statusBefore.acceptedSites).toEqual([]);
    expect(accepted.statusCode).toBe(200);
    expect(code(replayed)).toEqual([409, 'DUPLICATE']);
    expect(Object.keys(replies.forged.json())).toEqual(['code', 'message']);
    expect(metrics.body).toContain('emodistill_updates_accepted_total 1');
    expect(metrics.body).toContain('emodistill_updates_rejected_total{reason="BAD_SIGNATURE"} 1');
  });

  it('refuses the next update of a revoked site', async () => {
    // act
    const revoke = await adminCall('POST', '/admin/sites/site-a/revoke');
    const reply = await put(signedUpload());

    // assert
    expect(revoke.json()).toMatchObject({ siteId: 'site-a', revoked: true });
    expect([reply.statusCode, reply.json().code]).toEqual([403, 'UNKNOWN_SITE']);
  });
});

describe('coordinator HTTP API: hostile uploads (reliability review)', () => {
  /** A statistics-round payload: per-dimension moments of 3 features and the site's classes and feature spec. */
  function moments(mean: number[], variance: number[]): NamedTensor[] {
    return [
      { name: PROTOCOL.momentMeanTensor, shape: [3], values: Float32Array.from(mean) },
      { name: PROTOCOL.momentVarianceTensor, shape: [3], values: Float32Array.from(variance) },
    ];
  }
  function statisticsUpload(
    siteId: string,
    keys: typeof site,
    mean: number[],
    variance: number[],
    numExamples = 20,
  ): { headers: Record<string, string>; payload: Buffer } {
    const metadata = {
      [PROTOCOL.siteStatisticsKey]: JSON.stringify({
        classNames: ['angry', 'sad'],
        featureSpec: { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] },
        speakers: 2,
      }),
    };
    const payload = Buffer.from(encodeSafetensors(moments(mean, variance), metadata));
    const header: UpdateHeader = {
      siteId,
      round: 0,
      baseVersion: 0,
      numExamples,
      sha256: createHash('sha256').update(payload).digest('hex'),
      metrics: {},
      nonce: randomBytes(16).toString('hex'),
      time: new Date().toISOString(),
    };
    const envelope = { header, signature: signBytes(canonicalBytes(header), keys.secretKey) };
    return {
      headers: {
        'content-type': 'application/octet-stream',
        [PROTOCOL.updateHeader]: Buffer.from(JSON.stringify(envelope)).toString('base64'),
      },
      payload,
    };
  }
  const siteB = generateKeyPair();
  /** Replaces the store with one whose statistics round 0 is open for site-a and site-b. */
  async function openStatisticsRound(): Promise<void> {
    await coordinator.app.close();
    await rm(dir, { recursive: true, force: true });
    const store = openStore(dir);
    store.addSite('site-a', encodeKey(site.publicKey));
    store.addSite('site-b', encodeKey(siteB.publicKey));
    store.openRound({
      round: 0,
      kind: 'statistics',
      baseVersion: 0,
      deadline: new Date(Date.now() + 60_000).toISOString(),
      participants: ['site-a', 'site-b'],
    });
    store.close();
    start();
  }

  it("refuses an allow-listed site that is not a participant of the round, and an update signed outside the round's window", async () => {
    // arrange: site-c is allowed but was not connected when round 3 was announced
    const siteC = generateKeyPair();
    await adminCall('POST', '/admin/sites', { siteId: 'site-c', publicKey: encodeKey(siteC.publicKey) });

    // act
    const outsider = await put(signedUpload({ siteId: 'site-c' }, siteC));
    const ancient = await put(signedUpload({ time: '2001-01-01T00:00:00.000Z' }));
    const future = await put(signedUpload({ time: new Date(Date.now() + 3_600_000).toISOString() }));
    const status = await adminCall('GET', '/admin/status');

    // assert
    expect([outsider.statusCode, outsider.json().code]).toEqual([409, 'NOT_PARTICIPANT']);
    expect([ancient.statusCode, ancient.json().code]).toEqual([400, 'TIME_OUT_OF_WINDOW']);
    expect([future.statusCode, future.json().code]).toEqual([400, 'TIME_OUT_OF_WINDOW']);
    expect(status.json().acceptedSites).toEqual([]);
  });

  it('refuses poisoned statistics (absurd counts, non-finite or huge means, negative variances), so the standardiser stays finite', async () => {
    // arrange
    await openStatisticsRound();

    // act
    const hugeCount = await put(statisticsUpload('site-a', site, [0, 0, 0], [1, 1, 1], 1e308), 0);
    const negativeVariance = await put(statisticsUpload('site-a', site, [0, 0, 0], [1, -4, 1]), 0);
    const hugeMean = await put(statisticsUpload('site-a', site, [0, 3e38, 0], [1, 1, 1]), 0);
    const honestA = await put(statisticsUpload('site-a', site, [1, 2, 3], [1, 4, 9]), 0);
    const honestB = await put(statisticsUpload('site-b', siteB, [3, 2, 1], [1, 4, 9]), 0);
    const status = (await adminCall('GET', '/admin/status')).json();
    const download = await coordinator.app.inject({
      method: 'GET',
      url: '/models/1',
      headers: {
        [AUTH_HEADER]: signRequest({ role: 'site', id: 'site-a', method: 'GET', path: '/models/1' }, site.secretKey),
      },
    });
    const bundle = decodeGeneratorBundle(download.rawPayload, 'version 1');

    // assert
    expect([hugeCount.statusCode, hugeCount.json().code]).toEqual([422, 'EXAMPLES_OUT_OF_RANGE']);
    expect([negativeVariance.statusCode, negativeVariance.json().code, negativeVariance.json().message]).toEqual([
      422,
      'FEATURE_SPACE',
      expect.stringMatching(/variance of dimension 1/),
    ]);
    expect([hugeMean.statusCode, hugeMean.json().code]).toEqual([422, 'FEATURE_SPACE']);
    expect([honestA.statusCode, honestB.statusCode]).toEqual([200, 200]);
    expect(status.latestVersion).toMatchObject({ version: 1, sites: ['site-a', 'site-b'] });
    expect([...bundle.standardiser.mean, ...bundle.standardiser.std].every(Number.isFinite)).toBe(true);
    expect([...bundle.standardiser.mean]).toEqual([2, 2, 2]);
  });

  it('closes, on restart, a round whose every update was stored before a crash (no wait for the deadline)', async () => {
    // arrange: both statistics updates accepted, then the coordinator "crashes" before aggregating
    await openStatisticsRound();
    const store = openStore(dir);
    for (const [siteId, keys] of [
      ['site-a', site],
      ['site-b', siteB],
    ] as const) {
      const upload = statisticsUpload(siteId, keys, [1, 2, 3], [1, 1, 1]);
      await store.recordUpdate({
        round: 0,
        siteId,
        numExamples: 20,
        sha256: createHash('sha256').update(upload.payload).digest('hex'),
        nonce: randomBytes(16).toString('hex'),
        norm: 0,
        metrics: {},
        payload: upload.payload,
      });
    }
    store.close();
    await coordinator.app.close();
    start();

    // act
    coordinator.runner.resume();
    const status = (await adminCall('GET', '/admin/status')).json();

    // assert
    expect(status.latestVersion).toMatchObject({ version: 1, round: 0, sites: ['site-a', 'site-b'] });
    expect(status.round).toMatchObject({ round: 0, state: 'closed' });
  });

  it('answers an unauthenticated upload before reading its body, and defers a second concurrent upload of one site with 503 and Retry-After', async () => {
    // arrange: a real listening coordinator and raw HTTP requests that hold their bodies back
    const url = new URL(await coordinator.app.listen({ host: '127.0.0.1', port: 0 }));
    const genuine = signedUpload();
    const forged = signedUpload({}, generateKeyPair());
    const open = (headers: Record<string, string>, length: number) => {
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: '/rounds/3/updates',
        headers: { ...headers, 'content-length': String(length) },
      });
      const reply = new Promise<{ status: number; retryAfter: string | undefined; body: { code: string } }>(
        (resolve, reject) => {
          request.on('response', (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode!,
                retryAfter: response.headers['retry-after'],
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: string },
              }),
            );
          });
          request.on('error', reject);
        },
      );
      request.flushHeaders();
      return { request, reply };
    };

    // act: a forged header declaring 60 MiB (none of it sent); a genuine upload half sent; the same site again
    const flood = open(forged.headers, 60 * 1024 * 1024);
    const floodReply = await flood.reply;
    flood.request.destroy();
    const first = open(genuine.headers, genuine.payload.byteLength);
    first.request.write(genuine.payload.subarray(0, 100));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = open(signedUpload().headers, genuine.payload.byteLength);
    const secondReply = await second.reply;
    second.request.destroy();
    first.request.end(genuine.payload.subarray(100));
    const firstReply = await first.reply;

    // assert
    expect([floodReply.status, floodReply.body.code]).toEqual([403, 'BAD_SIGNATURE']);
    expect([secondReply.status, secondReply.body.code, secondReply.retryAfter]).toEqual([503, 'BUSY', '1']);
    expect(firstReply.status).toBe(200);
  });

  it.each([
    ['an update sent as JSON', { 'content-type': 'application/json' }, '{}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'an update header "e30=" ({}) and no body',
      { 'content-type': 'application/octet-stream', [PROTOCOL.updateHeader]: 'e30=' },
      undefined,
      400,
      'MALFORMED',
    ],
    [
      'an update header "e30=" and a JSON body null',
      { 'content-type': 'application/json', [PROTOCOL.updateHeader]: 'e30=' },
      'null',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ] as const)('answers %s with a coded 4xx, not a 500', async (_, headers, payload, status, code) => {
    // act
    const reply = await coordinator.app.inject({
      method: 'PUT',
      url: '/rounds/3/updates',
      headers,
      ...(payload !== undefined && { payload }),
    });

    // assert
    expect([reply.statusCode, reply.json().code]).toEqual([status, code]);
  });

  it('answers a validly signed update whose body is empty or JSON {} with a coded 4xx', async () => {
    // arrange: the signed sha256 is of the bytes actually sent
    const sign = (bytes: Buffer) => {
      const header: UpdateHeader = {
        siteId: 'site-a',
        round: 3,
        baseVersion: 2,
        numExamples: 50,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        metrics: {},
        nonce: randomBytes(16).toString('hex'),
        time: new Date().toISOString(),
      };
      return Buffer.from(
        JSON.stringify({ header, signature: signBytes(canonicalBytes(header), site.secretKey) }),
      ).toString('base64');
    };
    const send = (bytes: Buffer, contentType: string) =>
      coordinator.app.inject({
        method: 'PUT',
        url: '/rounds/3/updates',
        headers: { 'content-type': contentType, [PROTOCOL.updateHeader]: sign(bytes) },
        payload: bytes,
      });

    // act
    const empty = await send(Buffer.alloc(0), 'application/octet-stream');
    const objectAsBytes = await send(Buffer.from('{}'), 'application/octet-stream');
    const objectAsJson = await send(Buffer.from('{}'), 'application/json');

    // assert
    expect([empty.statusCode, empty.json().code]).toEqual([400, 'MALFORMED']);
    expect([objectAsBytes.statusCode, objectAsBytes.json().code]).toEqual([400, 'MALFORMED']);
    expect([objectAsJson.statusCode, objectAsJson.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it.each(['/attestations', '/admin/rounds/start', '/admin/sites'])(
    'answers invalid JSON to %s with 400 MALFORMED, and unknown routes with a coded 404',
    async (path) => {
      // act
      const reply = await coordinator.app.inject({
        method: path === '/attestations' ? 'PUT' : 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: '{"rounds": ',
      });
      const unknown = await coordinator.app.inject({ method: 'GET', url: '/no/such/route' });

      // assert
      expect([reply.statusCode, reply.json().code]).toEqual([400, 'MALFORMED']);
      expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    },
  );
});

describe('coordinator HTTP API: admin', () => {
  it('refuses unsigned, wrongly signed, replayed and altered admin requests', async () => {
    // arrange
    const intruder = generateKeyPair();
    const path = '/admin/rounds/start';
    const body = JSON.stringify({ rounds: 2 });
    const valid = signRequest(
      { role: 'admin', id: encodeKey(admin.publicKey), method: 'POST', path, body },
      admin.secretKey,
    );
    const send = (headers: Record<string, string>, payload = body) =>
      coordinator.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });

    // act
    const unsigned = await send({});
    const wrongKey = await send({
      [AUTH_HEADER]: signRequest(
        { role: 'admin', id: encodeKey(intruder.publicKey), method: 'POST', path, body },
        intruder.secretKey,
      ),
    });
    const forgedAsAdmin = await send({
      [AUTH_HEADER]: signRequest(
        { role: 'admin', id: encodeKey(admin.publicKey), method: 'POST', path, body },
        intruder.secretKey,
      ),
    });
    const altered = await send({ [AUTH_HEADER]: valid }, JSON.stringify({ rounds: 200 }));
    const accepted = await send({ [AUTH_HEADER]: valid });
    const replayed = await send({ [AUTH_HEADER]: valid });
    const asSite = await coordinator.app.inject({
      method: 'GET',
      url: '/admin/sites',
      headers: {
        [AUTH_HEADER]: signRequest({ role: 'site', id: 'site-a', method: 'GET', path: '/admin/sites' }, site.secretKey),
      },
    });

    // assert
    for (const reply of [unsigned, wrongKey, forgedAsAdmin, altered, replayed, asSite])
      expect(reply.statusCode, reply.body).toBe(401);
    expect(unsigned.json().message).toMatch(/missing/);
    expect(altered.json().message).toMatch(/another request/);
    expect(replayed.json().message).toMatch(/replayed/);
    expect(accepted.statusCode, accepted.body).toBe(200);
    // the open training round counts as under way: it plus two more
    expect(accepted.json().targetTrainingRounds).toBe(3);
  });

  it('adds, lists and revokes sites', async () => {
    // arrange
    const newcomer = encodeKey(generateKeyPair().publicKey);

    // act
    const added = await adminCall('POST', '/admin/sites', { siteId: 'site-c', publicKey: newcomer });
    const badKey = await adminCall('POST', '/admin/sites', { siteId: 'site-d', publicKey: 'not-a-key' });
    await adminCall('POST', '/admin/sites/site-b/revoke');
    const missing = await adminCall('POST', '/admin/sites/nobody/revoke');
    const list = await adminCall('GET', '/admin/sites');

    // assert
    expect(added.statusCode).toBe(200);
    expect(badKey.statusCode).toBe(400);
    expect(missing.statusCode).toBe(404);
    expect(list.json().map((s: { siteId: string; revoked: boolean }) => [s.siteId, s.revoked])).toEqual([
      ['site-a', false],
      ['site-b', true],
      ['site-c', false],
    ]);
  });

  it('serves models only to signed requests and refuses to export before training', async () => {
    // act
    const anonymous = await coordinator.app.inject({ method: 'GET', url: '/models/2' });
    const signedMissing = await coordinator.app.inject({
      method: 'GET',
      url: '/models/2',
      headers: {
        [AUTH_HEADER]: signRequest({ role: 'site', id: 'site-a', method: 'GET', path: '/models/2' }, site.secretKey),
      },
    });
    const exported = await adminCall('GET', '/admin/export');

    // assert
    expect(anonymous.statusCode).toBe(401);
    expect(signedMissing.statusCode).toBe(404);
    expect([exported.statusCode, exported.json().code]).toEqual([409, 'NO_MODEL']);
  });
});

describe('coordinator HTTP API: what an operator watches (the dashboard)', () => {
  it("lists rounds with their timings, version, updates with the sites' losses and drift, and each site's activity with its refusals", async () => {
    // arrange: version 2 stored (round 3 closed); training round 4 open from it for site-a and site-b
    await coordinator.app.close();
    storeTrainedVersion();
    const store = openStore(dir);
    store.openRound({
      round: 4,
      kind: 'training',
      baseVersion: 2,
      deadline: new Date(Date.now() + 60_000).toISOString(),
      participants: ['site-a', 'site-b'],
    });
    store.close();
    start();
    const losses = { wasserstein: 1.5, adversarial: -0.25, localSteps: 5 };

    // act: a forged upload naming site-a, one from a stranger, then both sites' updates (site-b's = 3 × site-a's)
    await put(signedUpload({ round: 4 }, generateKeyPair()), 4);
    await put(signedUpload({ round: 4, siteId: 'mallory' }), 4);
    await put(signedUpload({ round: 4, metrics: losses }), 4);
    const whileOpen = (await adminCall('GET', '/admin/rounds')).json();
    await put(
      signedUpload(
        { round: 4, siteId: 'site-b', metrics: losses },
        siteB,
        delta((i) => 0.03 * i),
      ),
      4,
    );
    const history = await adminCall('GET', '/admin/rounds');
    const latestOnly = await adminCall('GET', '/admin/rounds?last=1');
    const activity = await adminCall('GET', '/admin/sites/activity');
    const unsigned = await coordinator.app.inject({ method: 'GET', url: '/admin/rounds' });
    const badQuery = await adminCall('GET', '/admin/rounds?last=0');

    // assert
    expect(whileOpen[0]).toMatchObject({ round: 4, state: 'open', endedAt: null, version: null, drift: null });
    expect(whileOpen[0].updates.map((u: { siteId: string }) => u.siteId)).toEqual(['site-a']);
    expect(history.statusCode, history.body).toBe(200);
    const [round4, round3] = history.json();
    expect(round4).toMatchObject({ round: 4, kind: 'training', state: 'closed', version: 3, baseVersion: 2 });
    expect(Date.parse(round4.endedAt)).toBeGreaterThanOrEqual(Date.parse(round4.openedAt));
    expect(round4.updates).toMatchObject([
      { siteId: 'site-a', numExamples: 50, metrics: losses },
      { siteId: 'site-b', numExamples: 50, metrics: losses },
    ]);
    expect(round4.updates[1].norm).toBeCloseTo(3 * round4.updates[0].norm, 5);
    // the mean of a and 3a is 2a: both point the federation's way
    expect(round4.drift.meanNorm).toBeCloseTo(2 * round4.updates[0].norm, 5);
    expect(round4.drift.meanPairwiseCosine).toBeCloseTo(1, 6);
    expect(round4.drift.sites.map((s: { siteId: string }) => s.siteId)).toEqual(['site-a', 'site-b']);
    for (const s of round4.drift.sites) expect(s.cosineToMean).toBeCloseTo(1, 6);
    expect(round3).toMatchObject({ round: 3, state: 'closed', version: 2, updates: [], drift: null });
    expect(latestOnly.json().map((r: { round: number }) => r.round)).toEqual([4]);
    const { sites, unattributed } = activity.json();
    expect(sites).toMatchObject([
      {
        siteId: 'site-a',
        connected: false,
        acceptedUpdates: 1,
        refusals: { total: 1, byReason: { BAD_SIGNATURE: 1 } },
      },
      { siteId: 'site-b', connected: false, acceptedUpdates: 1, refusals: { total: 0, recent: [] } },
    ]);
    expect(sites[0].lastSeen).toBe(sites[0].lastUpdateAt);
    expect(sites[0].refusals.recent[0]).toMatchObject({ round: 4, reason: 'BAD_SIGNATURE' });
    expect(unattributed).toMatchObject({ total: 1, byReason: { UNKNOWN_SITE: 1 } });
    expect(unsigned.statusCode).toBe(401);
    expect(badQuery.statusCode).toBe(400);
  });
});

const siteB = generateKeyPair();

/** Stores global version 2 (trained by site-a and site-b) and returns its bundle's sha256. */
function storeTrainedVersion(): string {
  const store = openStore(dir);
  store.addSite('site-b', encodeKey(siteB.publicKey));
  const bundle = encodeGeneratorBundle({
    metadata: {
      formatVersion: '1',
      architecture: {
        kind: 'conditional-mlp-generator',
        noiseDimension: 2,
        hiddenUnits: [4],
        activation: 'leakyRelu',
        outputDimension: 3,
        conditioning: 'concat-one-hot',
      },
      classNames: ['angry', 'sad'],
      featureSpec: { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] },
      trainingConfig: {},
      provenance: {
        createdAt: '',
        tool: 'test',
        trainingRows: 10,
        trainingSpeakers: 2,
        corpusSource: 'federated',
        steps: 5,
        seconds: 0,
        backend: 'federated',
        federation: { sites: ['site-a', 'site-b'], trainingRounds: 1, strategy: 'fed-avg' },
      },
    },
    weights: initialGeneratorWeights({ noiseDimension: 2, hiddenUnits: [4], classCount: 2, outputDimension: 3 }, 1),
    standardiser: { mean: new Float32Array(3), std: Float32Array.from([1, 1, 1]) },
  });
  const sha256 = createHash('sha256').update(bundle).digest('hex');
  store.recordVersion(
    { version: 2, round: 3, sha256, weightsSha256: 'w'.repeat(64), sites: ['site-a', 'site-b'], createdAt: '' },
    bundle,
  );
  store.close();
  return sha256;
}

describe('coordinator HTTP API: attestations and release', () => {
  /** Figures that give each verdict by rule under the default policy. */
  const FIGURES: Record<Verdict, AuditFigures['attacks'][number]> = {
    pass: { name: 'nearest-neighbour', auc: 0.5, low: 0.45, high: 0.56, powerLimit: 0.55 },
    fail: { name: 'nearest-neighbour', auc: 0.75, low: 0.66, high: 0.84, powerLimit: 0.6 },
    inconclusive: { name: 'nearest-neighbour', auc: 0.6, low: 0.45, high: 0.8, powerLimit: 0.85 },
  };

  function attestation(
    subjectSha256: string,
    keys: typeof site,
    verdict: Verdict = 'pass',
    {
      signWith = keys,
      policy = DEFAULT_AUDIT_POLICY,
      claim,
    }: { signWith?: typeof site; policy?: AuditPolicy; claim?: Verdict } = {},
  ): Attestation {
    const figures: AuditFigures = {
      attacks: [FIGURES[verdict], { ...FIGURES[verdict], name: 'reference-ratio' }],
      memorisedShare: 0.04,
      memorisedBaseline: 0.05,
      syntheticSamples: 200,
    };
    const decision = decideVerdict(figures, policy);
    const body: Attestation['body'] = {
      kind: 'emodistill-audit-attestation',
      version: 3,
      subjectSha256,
      verdict: claim ?? decision.verdict,
      reason: decision.reason,
      policy,
      figures,
      counts: { memberSpeakers: 6, memberUtterances: 60, holdoutSpeakers: 4, holdoutUtterances: 40, synthetic: 200 },
      createdAt: new Date().toISOString(),
      sitePublicKey: encodeKey(keys.publicKey),
    };
    return { body, signature: signBytes(canonicalBytes(body), signWith.secretKey) };
  }

  function sendAttestation(siteId: string, keys: typeof site, value: unknown) {
    const body = JSON.stringify(value);
    return coordinator.app.inject({
      method: 'PUT',
      url: '/attestations',
      headers: {
        'content-type': 'application/json',
        [AUTH_HEADER]: signRequest(
          { role: 'site', id: siteId, method: 'PUT', path: '/attestations', body },
          keys.secretKey,
        ),
      },
      payload: body,
    });
  }

  it('records a genuine attestation and refuses forged, altered, foreign and unknown-subject ones', async () => {
    // arrange
    await coordinator.app.close();
    const sha256 = storeTrainedVersion();
    start();
    const genuine = attestation(sha256, site);

    // act
    const forged = await sendAttestation(
      'site-a',
      site,
      attestation(sha256, site, 'pass', { signWith: generateKeyPair() }),
    );
    const altered = await sendAttestation('site-a', site, {
      ...genuine,
      body: { ...genuine.body, figures: { ...genuine.body.figures, memorisedShare: 0.01 } },
    });
    const foreign = await sendAttestation('site-a', site, attestation(sha256, siteB));
    const unknownSubject = await sendAttestation('site-a', site, attestation('0'.repeat(64), site));
    const recorded = await sendAttestation('site-a', site, genuine);

    // assert
    expect([forged.statusCode, forged.json().code]).toEqual([403, 'BAD_ATTESTATION']);
    expect([altered.statusCode, altered.json().code]).toEqual([403, 'BAD_ATTESTATION']);
    expect([foreign.statusCode, foreign.json().code]).toEqual([403, 'BAD_ATTESTATION']);
    expect([unknownSubject.statusCode, unknownSubject.json().code]).toEqual([422, 'UNKNOWN_SUBJECT']);
    expect(recorded.json()).toEqual({ recorded: true, version: 2, verdict: 'pass' });
  });

  it("serves the federation's audit policy signed, and refuses attestations made under a weaker one or claiming a verdict their figures do not give", async () => {
    // arrange: this federation is stricter than the default on τ and permutations
    await coordinator.app.close();
    const sha256 = storeTrainedVersion();
    start({ maxMembershipAuc: 0.58, permutations: 2000 });
    const federation = { ...DEFAULT_AUDIT_POLICY, maxMembershipAuc: 0.58, permutations: 2000 };

    // act
    const served = await coordinator.app.inject({
      method: 'GET',
      url: '/release-policy',
      headers: {
        [AUTH_HEADER]: signRequest(
          { role: 'site', id: 'site-a', method: 'GET', path: '/release-policy' },
          site.secretKey,
        ),
      },
    });
    const unsigned = await coordinator.app.inject({ method: 'GET', url: '/release-policy' });
    const weaker = await sendAttestation('site-a', site, attestation(sha256, site));
    const droppedAttack = await sendAttestation(
      'site-a',
      site,
      attestation(sha256, site, 'pass', { policy: { ...federation, attacks: ['nearest-neighbour'] } }),
    );
    const overclaimed = await sendAttestation(
      'site-a',
      site,
      attestation(sha256, site, 'inconclusive', { policy: federation, claim: 'pass' }),
    );
    const stricter = await sendAttestation(
      'site-a',
      site,
      attestation(sha256, site, 'pass', { policy: { ...federation, maxMembershipAuc: 0.57 } }),
    );

    // assert
    const policy = checkMessage('signedReleasePolicy', served.json());
    expect(policy.ok && policy.message.body.policy).toEqual(federation);
    expect(
      policy.ok &&
        verifyBytes(
          canonicalBytes(policy.message.body),
          policy.message.signature,
          encodeKey(coordinatorKeys.publicKey),
        ),
    ).toBe(true);
    expect(unsigned.statusCode).toBe(401);
    expect([weaker.statusCode, weaker.json().code]).toEqual([422, 'POLICY_NOT_MET']);
    expect(weaker.json().message).toMatch(
      /τ 0.6 is above the federation's 0.58; 1000 permutations are fewer than the federation's 2000/,
    );
    expect(droppedAttack.json().message).toMatch(/required attacks not run: reference-ratio/);
    expect(overclaimed.json().message).toMatch(/its verdict is pass but its figures give inconclusive by rule/);
    expect(stricter.json()).toEqual({ recorded: true, version: 2, verdict: 'pass' });
  });

  it('releases only when every site that trained the generator attested PASS (an inconclusive audit blocks it too)', async () => {
    // arrange
    await coordinator.app.close();
    const sha256 = storeTrainedVersion();
    start();
    await sendAttestation('site-a', site, attestation(sha256, site));
    await sendAttestation('site-b', siteB, attestation(sha256, siteB, 'fail'));

    // act
    const blocked = await adminCall('GET', '/admin/export?release=true');
    await sendAttestation('site-b', siteB, attestation(sha256, siteB, 'inconclusive'));
    const stillBlocked = await adminCall('GET', '/admin/export?release=true');
    await sendAttestation('site-b', siteB, attestation(sha256, siteB, 'pass'));
    const released = await adminCall('GET', '/admin/export?release=true');
    const bundle = decodeGeneratorBundle(released.rawPayload, 'released');

    // assert
    expect([blocked.statusCode, blocked.json().code]).toEqual([409, 'RELEASE_BLOCKED']);
    expect(blocked.json().message).toMatch(
      /not yet: site-b \(FAIL: The nearest-neighbour attack tells members from holdout speakers/,
    );
    expect(stillBlocked.json().message).toMatch(/not yet: site-b \(INCONCLUSIVE: .*too few holdout speakers/);
    expect(released.statusCode).toBe(200);
    expect(verifyGeneratorBundle(bundle)).toBe(encodeKey(coordinatorKeys.publicKey));
    expect(bundle.metadata.provenance).toMatchObject({ released: true, globalVersion: 2, globalSha256: sha256 });
    expect((bundle.metadata.provenance.attestations as { siteId: string }[]).map((a) => a.siteId)).toEqual([
      'site-a',
      'site-b',
    ]);
  });

  it("shows the release state as the gate judges it: each trainer's attestation, its figures and why it holds the release back", async () => {
    // arrange
    const noModel = (await adminCall('GET', '/admin/release')).json();
    await coordinator.app.close();
    const sha256 = storeTrainedVersion();
    start();

    // act
    const unattested = (await adminCall('GET', '/admin/release')).json();
    await sendAttestation('site-a', site, attestation(sha256, site));
    await sendAttestation('site-b', siteB, attestation(sha256, siteB, 'inconclusive'));
    const blocked = (await adminCall('GET', '/admin/release')).json();
    await sendAttestation('site-b', siteB, attestation(sha256, siteB, 'pass'));
    const granted = (await adminCall('GET', '/admin/release')).json();

    // assert
    expect(noModel).toEqual({ state: 'no-model', version: null, sha256: null, sites: [] });
    expect(unattested).toEqual({
      state: 'blocked',
      version: 2,
      sha256,
      sites: [
        { siteId: 'site-a', attestation: null, policyProblems: [], blocking: 'site-a (no attestation)' },
        { siteId: 'site-b', attestation: null, policyProblems: [], blocking: 'site-b (no attestation)' },
      ],
    });
    expect(blocked.state).toBe('blocked');
    expect(blocked.sites[0]).toMatchObject({ siteId: 'site-a', blocking: null, attestation: { verdict: 'pass' } });
    expect(blocked.sites[1].blocking).toMatch(/^site-b \(INCONCLUSIVE: .*too few holdout speakers/);
    expect(blocked.sites[1].attestation.figures.attacks[0]).toEqual(FIGURES.inconclusive);
    expect(blocked.sites[1].attestation.counts.holdoutSpeakers).toBe(4);
    expect(granted.state).toBe('granted');
    expect(granted.sites.map((s: { blocking: unknown }) => s.blocking)).toEqual([null, null]);
  });

  it('accepts only version 3 attestations: a version 1 one (which named a local path) is refused, and neither counts nor is published when stored', async () => {
    // arrange: site-b's passing version 1 attestation stored before the upgrade
    await coordinator.app.close();
    const sha256 = storeTrainedVersion();
    const v1 = (keys: typeof site): unknown => {
      const { body } = attestation(sha256, keys);
      const old = { ...body, version: 1, subject: '/home/site-b/federation/global.bundle' };
      return { body: old, signature: signBytes(canonicalBytes(old), keys.secretKey) };
    };
    const store = openStore(dir);
    store.recordAttestation('site-b', v1(siteB) as Attestation);
    store.close();
    start();
    await sendAttestation('site-a', site, attestation(sha256, site));

    // act
    const refused = await sendAttestation('site-b', siteB, v1(siteB));
    const blocked = await adminCall('GET', '/admin/export?release=true');
    const plain = await adminCall('GET', '/admin/export');

    // assert
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'MALFORMED']);
    expect(refused.json().message).toMatch(/attestation version 1 is not accepted .* site audit/);
    expect([blocked.statusCode, blocked.json().code]).toEqual([409, 'RELEASE_BLOCKED']);
    const provenance = decodeGeneratorBundle(plain.rawPayload, 'export').metadata.provenance;
    expect((provenance.attestations as { siteId: string }[]).map((a) => a.siteId)).toEqual(['site-a']);
    expect(JSON.stringify(provenance)).not.toContain('/home/site-b');
  });
});
