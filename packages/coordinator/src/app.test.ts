import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalBytes, encodeKey, encodeSafetensors, generateKeyPair, signBytes, type NamedTensor, type UpdateHeader } from '@emodistill/core';
import { buildApp, UPDATE_HEADER } from './app.js';
import { openStore } from './store/store.js';

const LAYOUT = [{ name: 'generator/dense0/kernel', shape: [2, 2] }];
const site = generateKeyPair();
let dir: string;
let app: ReturnType<typeof buildApp>;

function signedUpload(overrides: Partial<UpdateHeader> = {}, keys = site): { headers: Record<string, string>; payload: Buffer } {
  const tensors: NamedTensor[] = [{ name: LAYOUT[0]!.name, shape: [2, 2], values: Float32Array.from([0.1, 0.2, 0.3, 0.4]) }];
  const payload = Buffer.from(encodeSafetensors(tensors, {}));
  const header: UpdateHeader = {
    siteId: 'site-a', round: 0, baseVersion: 0, numExamples: 50, sha256: createHash('sha256').update(payload).digest('hex'),
    metrics: {}, nonce: randomBytes(16).toString('hex'), time: new Date().toISOString(), ...overrides,
  };
  const envelope = { header, signature: signBytes(canonicalBytes(header), keys.secretKey) };
  return { headers: { 'content-type': 'application/octet-stream', [UPDATE_HEADER]: Buffer.from(JSON.stringify(envelope)).toString('base64') }, payload };
}

function start(): void {
  const store = openStore(dir);
  app = buildApp({ store, layout: LAYOUT, maxPayloadBytes: 4096, maxUpdateNorm: 10 });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-coordinator-'));
  const store = openStore(dir);
  store.addSite('site-a', encodeKey(site.publicKey));
  store.openRound(0, 0, new Date(Date.now() + 60_000).toISOString());
  store.close();
  start();
});

afterEach(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('coordinator HTTP API', () => {
  it('accepts a signed update, answers a re-send idempotently, and keeps it across a restart', async () => {
    // arrange
    const upload = signedUpload();

    // act
    const first = await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: upload.headers, payload: upload.payload });
    const resent = await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: upload.headers, payload: upload.payload });
    await app.close();
    start();
    const status = await app.inject({ method: 'GET', url: '/status' });

    // assert
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ accepted: true, duplicate: false, round: 0, siteId: 'site-a' });
    expect(resent.json()).toMatchObject({ accepted: true, duplicate: true });
    expect(status.json()).toMatchObject({ round: 0, state: 'open', acceptedSites: ['site-a'], allowedSites: 1 });
  });

  it('rejects forged, stale, second and oversized updates without storing anything', async () => {
    // arrange
    const forged = signedUpload({}, generateKeyPair());
    const stale = signedUpload({ round: 0, baseVersion: 3 });
    const unknown = signedUpload({ siteId: 'mallory' });

    // act
    const replies = {
      forged: await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: forged.headers, payload: forged.payload }),
      stale: await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: stale.headers, payload: stale.payload }),
      unknown: await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: unknown.headers, payload: unknown.payload }),
      wrongRound: await app.inject({ method: 'PUT', url: '/rounds/7/updates', headers: forged.headers, payload: forged.payload }),
      oversized: await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: forged.headers, payload: Buffer.alloc(5000) }),
      noHeader: await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: { 'content-type': 'application/octet-stream' }, payload: forged.payload }),
    };
    const accepted = signedUpload();
    await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: accepted.headers, payload: accepted.payload });
    const second = signedUpload();
    const secondReply = await app.inject({ method: 'PUT', url: '/rounds/0/updates', headers: second.headers, payload: second.payload });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });

    // assert
    expect([replies.forged.statusCode, replies.forged.json().code]).toEqual([403, 'BAD_SIGNATURE']);
    expect([replies.stale.statusCode, replies.stale.json().code]).toEqual([409, 'WRONG_BASE_VERSION']);
    expect([replies.unknown.statusCode, replies.unknown.json().code]).toEqual([403, 'UNKNOWN_SITE']);
    expect([replies.wrongRound.statusCode, replies.wrongRound.json().code]).toEqual([409, 'WRONG_ROUND']);
    expect(replies.oversized.statusCode).toBe(413);
    expect(replies.noHeader.statusCode).toBe(400);
    expect([secondReply.statusCode, secondReply.json().code]).toEqual([409, 'DUPLICATE']);
    expect(Object.keys(replies.forged.json())).toEqual(['code', 'message']);
    expect(metrics.body).toContain('emodistill_updates_accepted_total 1');
    expect(metrics.body).toContain('emodistill_updates_rejected_total{reason="BAD_SIGNATURE"} 1');
  });
});
