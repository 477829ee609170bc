import { describe, expect, it } from 'vitest';
import { encodeKey, generateKeyPair } from '../crypto/signing.js';
import { REQUEST_MAX_SKEW_MS, signRequest, verifyRequest, type RequestVerification } from './request-auth.js';

const admin = generateKeyPair();
const adminId = encodeKey(admin.publicKey);

function verification(overrides: Partial<RequestVerification> = {}): RequestVerification {
  const nonces = new Set<string>();
  return {
    method: 'POST',
    path: '/admin/rounds/start',
    body: '{"rounds":2}',
    publicKeyOf: (role, id) => (role === 'admin' && id === adminId ? adminId : undefined),
    claimNonce: (nonce) => !nonces.has(nonce) && Boolean(nonces.add(nonce)),
    ...overrides,
  };
}

const signed = (secretKey = admin.secretKey, now?: Date): string =>
  signRequest(
    { role: 'admin', id: adminId, method: 'post', path: '/admin/rounds/start', body: '{"rounds":2}' },
    secretKey,
    now,
  );

describe('signed requests', () => {
  it('accepts a request signed by an allowed key exactly once', () => {
    // arrange
    const header = signed();
    const check = verification();

    // act
    const first = verifyRequest(header, check);
    const replayed = verifyRequest(header, check);

    // assert
    expect(first).toEqual({ ok: true, role: 'admin', id: adminId });
    expect(replayed).toMatchObject({ ok: false, reason: expect.stringMatching(/replayed/) });
  });

  it('refuses unsigned, foreign-key, altered-body, other-path and stale requests', () => {
    // arrange
    const intruder = generateKeyPair();
    const forged = signRequest(
      { role: 'admin', id: adminId, method: 'POST', path: '/admin/rounds/start', body: '{"rounds":2}' },
      intruder.secretKey,
    );
    const stale = signed(admin.secretKey, new Date(Date.now() - REQUEST_MAX_SKEW_MS - 60_000));

    // act / assert
    expect(verifyRequest(undefined, verification())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/missing/),
    });
    expect(verifyRequest('not base64 json', verification())).toMatchObject({ ok: false });
    expect(verifyRequest(forged, verification())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not verify/),
    });
    expect(verifyRequest(signed(), verification({ body: '{"rounds":200}' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another request/),
    });
    expect(verifyRequest(signed(), verification({ path: '/admin/rounds/abort' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another request/),
    });
    expect(verifyRequest(stale, verification())).toMatchObject({ ok: false, reason: expect.stringMatching(/minutes/) });
    expect(verifyRequest(signed(), verification({ publicKeyOf: () => undefined }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not allowed/),
    });
  });
});
